// cv_bridge.cpp - the one C++ file: OpenCV behind a plain C interface.
// See cv_bridge.h. Every extern "C" function catches every exception; no C++
// type or exception reaches the caller.
#include "cv_bridge.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

struct cb_cv_net {
    cv::dnn::Net net;
};

struct cb_cv_cascade {
    cv::CascadeClassifier classifier;
};

namespace {

int set_error(cb_error *err, int code, const char *what, const char *detail)
{
    if (!err)
        return code;
    err->code = code;
    std::snprintf(err->msg, sizeof err->msg, "%s: %s", what, detail ? detail : "unknown error");
    // Keep messages on one line: OpenCV's contain newlines.
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return code;
}

// Area averaging to shrink (no aliasing), bilinear to enlarge.
int scaling(int sw, int sh, int dw, int dh)
{
    return ((long)dw * dh < (long)sw * sh) ? cv::INTER_AREA : cv::INTER_LINEAR;
}

// Runs fn, turning any exception into a status code and message.
template <typename Fn> int guarded(cb_error *err, const char *what, Fn fn)
{
    try {
        return fn();
    } catch (const cv::Exception &e) {
        return set_error(err, CB_EMODEL, what, e.what());
    } catch (const std::bad_alloc &) {
        return set_error(err, CB_ENOMEM, what, "out of memory");
    } catch (const std::exception &e) {
        return set_error(err, CB_EINTERNAL, what, e.what());
    } catch (...) {
        return set_error(err, CB_EINTERNAL, what, "unexpected exception");
    }
}

} // namespace

extern "C" {

int cb_cv_net_open(const char *onnx_path, cb_cv_net **out, cb_error *err)
{
    *out = nullptr;
    char what[CB_ERROR_MSG_SIZE / 2];
    std::snprintf(what, sizeof what, "loading model %s", onnx_path ? onnx_path : "(null)");
    return guarded(err, what, [&]() -> int {
        if (!onnx_path)
            return set_error(err, CB_EINVAL, "loading model", "no path given");
        cb_cv_net *h = new cb_cv_net();
        try {
            h->net = cv::dnn::readNetFromONNX(onnx_path);
            if (h->net.empty()) {
                delete h;
                return set_error(err, CB_EMODEL, onnx_path, "the model file gave an empty network");
            }
            h->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
            h->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        } catch (...) {
            delete h;
            throw;
        }
        *out = h;
        return 0;
    });
}

void cb_cv_net_close(cb_cv_net *net)
{
    delete net;
}

void cb_cv_set_threads(int n)
{
    try {
        cv::setNumThreads(n > 0 ? n : -1);
    } catch (...) {
        /* a thread count is a hint; nothing to report */
    }
}

void cb_tensor_release(cb_tensor *t)
{
    if (!t)
        return;
    std::free(t->data);
    std::memset(t, 0, sizeof *t);
}

int cb_cv_net_forward(cb_cv_net *net, const float *input, const int *shape, int ndim,
                      int n_outputs, const char *const *output_names, cb_tensor *outputs,
                      cb_error *err)
{
    for (int i = 0; i < n_outputs; i++)
        std::memset(&outputs[i], 0, sizeof outputs[i]);
    return guarded(err, "running model", [&]() -> int {
        if (!net || !input || ndim < 1 || ndim > CB_TENSOR_MAX_DIMS || n_outputs < 1)
            return set_error(err, CB_EINVAL, "running model", "bad arguments");
        std::vector<int> dims(shape, shape + ndim);
        // The blob wraps the caller's memory only for the duration of setInput,
        // which copies it into the network's own input buffer.
        cv::Mat blob(ndim, dims.data(), CV_32F, const_cast<float *>(input));
        net->net.setInput(blob);
        std::vector<cv::String> names(output_names, output_names + n_outputs);
        std::vector<cv::Mat> results;
        net->net.forward(results, names);
        if ((int)results.size() != n_outputs)
            return set_error(err, CB_EMODEL, "running model", "wrong number of outputs");
        for (int i = 0; i < n_outputs; i++) {
            cv::Mat m = results[i].isContinuous() ? results[i] : results[i].clone();
            if (m.type() != CV_32F)
                m.convertTo(m, CV_32F);
            if (m.dims > CB_TENSOR_MAX_DIMS)
                throw std::runtime_error("output has too many dimensions");
            size_t count = m.total();
            float *data = static_cast<float *>(std::malloc(count * sizeof(float)));
            if (!data)
                throw std::bad_alloc();
            std::memcpy(data, m.ptr<float>(), count * sizeof(float));
            outputs[i].data = data;
            outputs[i].count = count;
            outputs[i].ndim = m.dims;
            for (int d = 0; d < m.dims; d++)
                outputs[i].shape[d] = m.size[d];
        }
        return 0;
    });
}

int cb_cv_resize(const uint8_t *src, int sw, int sh, int sstride, uint8_t *dst, int dw, int dh,
                 int dstride, int channels, cb_error *err)
{
    return guarded(err, "resizing image", [&]() -> int {
        if (!src || !dst || sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 ||
            (channels != 1 && channels != 3))
            return set_error(err, CB_EINVAL, "resizing image", "bad arguments");
        cv::Mat in(sh, sw, CV_8UC(channels), const_cast<uint8_t *>(src), (size_t)sstride);
        cv::Mat out(dh, dw, CV_8UC(channels), dst, (size_t)dstride);
        cv::resize(in, out, cv::Size(dw, dh), 0, 0, scaling(sw, sh, dw, dh));
        if (out.data != dst)
            throw std::runtime_error("resize reallocated the destination");
        return 0;
    });
}

// OpenCV's border for CB_CV_BORDER_*, around a placed picture of w x h
// (mirroring needs two pixels: a one-pixel picture repeats its edge).
static int border_mode(int border, int w, int h)
{
    if (border == CB_CV_BORDER_REPLICATE || (border == CB_CV_BORDER_REFLECT && (w < 2 || h < 2)))
        return cv::BORDER_REPLICATE;
    return border == CB_CV_BORDER_REFLECT ? cv::BORDER_REFLECT_101 : cv::BORDER_CONSTANT;
}

int cb_cv_place_bgr(const uint8_t *src, int sw, int sh, int sstride, uint8_t *dst, int dw_all,
                    int dh_all, int dstride, int dx, int dy, int dw, int dh, int border,
                    cb_error *err)
{
    return guarded(err, "placing image", [&]() -> int {
        if (!src || !dst || sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 || dx < 0 || dy < 0 ||
            dx + dw > dw_all || dy + dh > dh_all || sstride < sw * 3 || dstride < dw_all * 3)
            return set_error(err, CB_EINVAL, "placing image", "bad arguments");
        cv::Mat in(sh, sw, CV_8UC3, const_cast<uint8_t *>(src), (size_t)sstride);
        cv::Mat out(dh_all, dw_all, CV_8UC3, dst, (size_t)dstride);
        cv::Mat scaled = in;
        if (dw != sw || dh != sh) {
            cv::resize(in, scaled, cv::Size(dw, dh), 0, 0, scaling(sw, sh, dw, dh));
        }
        const int mode = border_mode(border, dw, dh);
        // BORDER_ISOLATED: never read outside `scaled`, even when it is a view of the source.
        cv::copyMakeBorder(scaled, out, dy, dh_all - dy - dh, dx, dw_all - dx - dw,
                           mode | cv::BORDER_ISOLATED, cv::Scalar(127, 127, 127));
        if (out.data != dst)
            throw std::runtime_error("copyMakeBorder reallocated the destination");
        return 0;
    });
}

// Source coordinate (bilinear, pixel centres as cv::resize) of each window
// position along one axis: placed at d, scaled from s to n pixels, `mode` the
// border beyond the placed part (-1: outside, for a constant border).
static void window_axis(int w0, int len, int d, int n, int s, int mode, std::vector<float> &map)
{
    map.resize((size_t)len);
    const double k = (double)s / n;
    for (int i = 0; i < len; i++) {
        int u = w0 + i - d;
        if (u < 0 || u >= n)
            u = mode == cv::BORDER_CONSTANT ? -1 : cv::borderInterpolate(u, n, mode);
        map[(size_t)i] = u < 0 ? -1.f : (float)std::min(std::max((u + 0.5) * k - 0.5, 0.0),
                                                        (double)(s - 1));
    }
}

int cb_cv_place_bgr_window(const uint8_t *src, int sw, int sh, int sstride, int dx, int dy,
                           int dw, int dh, int border, int wx, int wy, int ww, int wh,
                           uint8_t *dst, int dstride, cb_error *err)
{
    return guarded(err, "placing image part", [&]() -> int {
        if (!src || !dst || sw <= 0 || sh <= 0 || dw < sw || dh < sh || ww <= 0 || wh <= 0 ||
            sstride < sw * 3 || dstride < ww * 3)
            return set_error(err, CB_EINVAL, "placing image part", "bad arguments");
        const int mode = border_mode(border, dw, dh);
        std::vector<float> xs, ys;
        window_axis(wx, ww, dx, dw, sw, mode, xs);
        window_axis(wy, wh, dy, dh, sh, mode, ys);
        cv::Mat mapx(wh, ww, CV_32F), mapy(wh, ww, CV_32F);
        for (int r = 0; r < wh; r++) {
            float *mx = mapx.ptr<float>(r), *my = mapy.ptr<float>(r);
            for (int c = 0; c < ww; c++) {
                const bool out = xs[(size_t)c] < 0 || ys[(size_t)r] < 0;
                mx[c] = out ? -16.f : xs[(size_t)c];
                my[c] = out ? -16.f : ys[(size_t)r];
            }
        }
        cv::Mat in(sh, sw, CV_8UC3, const_cast<uint8_t *>(src), (size_t)sstride);
        cv::Mat out(wh, ww, CV_8UC3, dst, (size_t)dstride);
        cv::remap(in, out, mapx, mapy, cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                  cv::Scalar(127, 127, 127));
        if (out.data != dst)
            throw std::runtime_error("remap reallocated the destination");
        return 0;
    });
}

int cb_cv_warp_affine_bgr(const uint8_t *src, int sw, int sh, int sstride, const double m[6],
                          uint8_t *dst, int dw, int dh, int dstride, cb_error *err)
{
    return guarded(err, "warping image", [&]() -> int {
        if (!src || !dst || !m || sw <= 0 || sh <= 0 || dw <= 0 || dh <= 0 ||
            sstride < sw * 3 || dstride < dw * 3)
            return set_error(err, CB_EINVAL, "warping image", "bad arguments");
        double det = m[0] * m[4] - m[1] * m[3];
        for (int i = 0; i < 6; i++)
            if (!std::isfinite(m[i]))
                return set_error(err, CB_EINVAL, "warping image", "non-finite transform");
        if (!(std::fabs(det) > 1e-12))
            return set_error(err, CB_EINVAL, "warping image", "singular transform");
        cv::Mat in(sh, sw, CV_8UC3, const_cast<uint8_t *>(src), (size_t)sstride);
        cv::Mat out(dh, dw, CV_8UC3, dst, (size_t)dstride);
        cv::Mat M(2, 3, CV_64F, const_cast<double *>(m));
        cv::warpAffine(in, out, M, cv::Size(dw, dh), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        if (out.data != dst)
            throw std::runtime_error("warpAffine reallocated the destination");
        return 0;
    });
}

int cb_cv_gaussian_blur(uint8_t *data, int w, int h, int stride, int channels, double sigma,
                        cb_error *err)
{
    return guarded(err, "blurring region", [&]() -> int {
        if (!data || w <= 0 || h <= 0 || sigma <= 0 || (channels != 1 && channels != 3))
            return set_error(err, CB_EINVAL, "blurring region", "bad arguments");
        cv::Mat roi(h, w, CV_8UC(channels), data, (size_t)stride);
        // A large sigma is blurred at a lower resolution: the kernel of a full
        // resolution blur is 6 sigma wide (seconds for a face of 1000 pixels),
        // and a picture blurred that much has nothing finer than sigma / 3 to
        // lose by shrinking. BORDER_REPLICATE on a Mat header that is not a
        // submatrix never reads outside the region.
        const int shrink = sigma > 6.0 ? (int)(sigma / 3.0) : 1;
        const int sw = std::max(1, w / shrink), sh = std::max(1, h / shrink);
        if (shrink == 1 || sw < 4 || sh < 4) {
            cv::GaussianBlur(roi, roi, cv::Size(0, 0), sigma, sigma, cv::BORDER_REPLICATE);
            return 0;
        }
        cv::Mat small;
        cv::resize(roi, small, cv::Size(sw, sh), 0, 0, cv::INTER_AREA);
        const double ks = sigma * sw / w, ks_y = sigma * sh / h;
        cv::GaussianBlur(small, small, cv::Size(0, 0), ks, ks_y, cv::BORDER_REPLICATE);
        cv::resize(small, roi, roi.size(), 0, 0, cv::INTER_LINEAR);
        if (roi.data != data)
            throw std::runtime_error("resize reallocated the region");
        return 0;
    });
}

int cb_cv_cascade_open(const char *xml_path, cb_cv_cascade **out, cb_error *err)
{
    *out = nullptr;
    return guarded(err, "loading cascade", [&]() -> int {
        cb_cv_cascade *c = new cb_cv_cascade();
        bool ok = false;
        try {
            ok = c->classifier.load(xml_path);
        } catch (...) {
            delete c;
            throw;
        }
        if (!ok || c->classifier.empty()) {
            delete c;
            return set_error(err, CB_EMODEL, xml_path, "cannot load cascade");
        }
        *out = c;
        return 0;
    });
}

void cb_cv_cascade_close(cb_cv_cascade *c)
{
    delete c;
}

int cb_cv_cascade_detect(cb_cv_cascade *c, const uint8_t *bgr, int w, int h, int stride,
                         int min_size, cb_cv_rect *rects, int max_rects, int *n_rects,
                         cb_error *err)
{
    *n_rects = 0;
    return guarded(err, "cascade detection", [&]() -> int {
        cv::Mat in(h, w, CV_8UC3, const_cast<uint8_t *>(bgr), (size_t)stride);
        cv::Mat gray;
        cv::cvtColor(in, gray, cv::COLOR_BGR2GRAY);
        cv::equalizeHist(gray, gray);
        std::vector<cv::Rect> found;
        c->classifier.detectMultiScale(gray, found, 1.1, 4, 0, cv::Size(min_size, min_size));
        int n = 0;
        for (const cv::Rect &r : found) {
            if (n >= max_rects)
                break;
            rects[n++] = cb_cv_rect{r.x, r.y, r.width, r.height};
        }
        *n_rects = n;
        return 0;
    });
}

} // extern "C"
