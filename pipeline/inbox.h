/*
 * inbox.h - the watch folder's bookkeeping: which files have arrived and are
 * completely written, and moving each one through its states so that a
 * crash at any moment (kill -9, power cut) loses nothing and repeats
 * nothing visible:
 *
 *   INBOX/name --claim--> WORK/name (+ WORK/.name.out: the output it gets)
 *        --the caller writes OUTBOX/output atomically (temp file + rename)--
 *        --complete--> ARCHIVE/name          or  --fail--> FAILED/name
 *                                                 + FAILED/name.reason.txt
 * Every step is a rename within one file system (WORK, ARCHIVE and FAILED
 * must be on INBOX's file system; defaults are folders inside INBOX), so a
 * file is always in exactly one place. After a restart, cb_inbox_pending
 * hands back what was claimed but not finished, with the output name chosen
 * then: the caller checks whether that output was written (and recorded)
 * and either completes the item or processes it again.
 *
 * Arrival: cb_inbox_scan lists INBOX's regular files (names starting with
 * '.' and common partial-download names - *.part, *.crdownload, *.tmp, *~ -
 * are ignored; sub-folders are not entered). A file is ready when it has
 * not changed for settle_ms, and, if the caller saw it being written
 * (cb_inbox_note_write: inotify IN_MODIFY), only after it was closed or
 * renamed in (cb_inbox_note_closed: IN_CLOSE_WRITE / IN_MOVED_TO). A
 * symbolic link is reported as ready at once; the caller must not follow it
 * (cb_inbox_claim refuses it with CB_EINVAL so it can be failed).
 */
#ifndef CB_INBOX_H
#define CB_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "../common/cb_error.h"

typedef struct cb_inbox cb_inbox;

typedef struct cb_inbox_dirs {
    const char *inbox;   /* required */
    const char *outbox;  /* required; may be anywhere */
    const char *archive; /* NULL: INBOX/archive */
    const char *failed;  /* NULL: INBOX/failed */
} cb_inbox_dirs;

/* Create the folders that are missing (WORK is INBOX/.consentblur) and
 * check that WORK, ARCHIVE and FAILED share INBOX's file system. */
int cb_inbox_open(const cb_inbox_dirs *dirs, cb_inbox **out, cb_error *err);
void cb_inbox_close(cb_inbox *b);

/* Paths, for messages. */
const char *cb_inbox_dir(const cb_inbox *b);
const char *cb_inbox_outbox(const cb_inbox *b);

/* inotify told us: name was modified / closed after writing or moved in. */
void cb_inbox_note_write(cb_inbox *b, const char *name, int64_t now_ms);
void cb_inbox_note_closed(cb_inbox *b, const char *name, int64_t now_ms);

/*
 * Look at INBOX now (time now_ms, CLOCK_MONOTONIC milliseconds): put the
 * name of one file that is ready into name (size bytes) and return 1, or
 * return 0 when none is ready yet. Oldest-seen first.
 */
int cb_inbox_scan(cb_inbox *b, int64_t now_ms, int settle_ms, char *name, size_t size,
                  cb_error *err);

/* A claimed file: where it is now and where its output goes. */
typedef struct cb_inbox_item {
    char name[256];        /* the file's name as it arrived */
    char path[4096];       /* WORK/name */
    char output_name[256]; /* the output's file name in OUTBOX */
    char output[4096];     /* OUTBOX/output_name */
} cb_inbox_item;

/*
 * Move INBOX/name into WORK and choose its output name: output_name (the
 * caller's choice, e.g. same name or .mp4), made unique in OUTBOX with -2,
 * -3, ... before the extension; the choice is saved (WORK/.name.out) before
 * this returns. CB_EINVAL for a symbolic link or a non-regular file (left in
 * INBOX; fail it with cb_inbox_fail_in_place), -errno otherwise.
 */
int cb_inbox_claim(cb_inbox *b, const char *name, const char *output_name, cb_inbox_item *item,
                   cb_error *err);

/*
 * Items claimed earlier and not finished (after a crash): up to max into
 * items, returns how many (or a negative code).
 */
int cb_inbox_pending(cb_inbox *b, cb_inbox_item *items, int max, cb_error *err);

/*
 * After a crash: remove the temporary files an interrupted write of this
 * item's output left in OUTBOX (".OUTPUT.<16 hex>.tmp", see atomic_file.h).
 * Only names of that exact form are touched. Best effort; returns how many
 * were removed.
 */
int cb_inbox_remove_output_temps(cb_inbox *b, const cb_inbox_item *item);

/* Done: move the original to ARCHIVE (name made unique) and forget it. */
int cb_inbox_complete(cb_inbox *b, const cb_inbox_item *item, cb_error *err);

/* Failed: write FAILED/name.reason.txt (reason as given - the watch command
 * writes a line for the staff in their language and a line of technical
 * detail - and a final newline) and move the original beside it (names made
 * unique together). */
int cb_inbox_fail(cb_inbox *b, const cb_inbox_item *item, const char *reason, cb_error *err);

/* The same for a file still in INBOX that cannot be claimed (a link). */
int cb_inbox_fail_in_place(cb_inbox *b, const char *name, const char *reason, cb_error *err);

#endif
