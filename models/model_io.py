"""What every model converter of models/ does last: write the ONNX model atomically.

Imported by the converters (run as scripts, so this folder is on sys.path).
"""
import os


def write_model(model, path):
    """Serialise `model` to `path` via path.tmp, fsync and rename: a model file is
    either whole or not there (fetch_models.sh checks its hash before installing it)."""
    data = model.SerializeToString()
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
