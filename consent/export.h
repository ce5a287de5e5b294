/*
 * export.h - everything the registry holds about one person, as JSON (for a
 * subject access request, or to hand a person's record over).
 *
 * The document (one object, UTF-8, keys in this order):
 *   format       "consentblur-person-export/1"
 *   exported_at  timestamp (UTC)
 *   person       {id, external_id, name, role, birth_date, group, created_at}
 *   consents     every consent record, oldest first: {id, purpose, status,
 *                given_by, given_by_name, evidence_ref, evidence_sha256,
 *                valid_from, valid_until, recorded_by, recorded_at,
 *                withdrawn_at, withdrawn_by}
 *   templates    {id, model_id, quality, dim, created_at, source_sha256}
 *                and, only with CB_EXPORT_EMBEDDINGS, "embedding": [floats]
 *   audit        the audit rows whose subject is the person's external id:
 *                {id, at, actor, action, details (the JSON text, as a
 *                string), hash}
 * Read in one snapshot, so the parts agree with each other.
 */
#ifndef CB_EXPORT_H
#define CB_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "../common/json.h"
#include "registry.h"

enum { CB_EXPORT_EMBEDDINGS = 1 };

/* Write the export of person_id to out. flags: 0 or CB_EXPORT_EMBEDDINGS.
 * Returns 0; CB_ENOTFOUND for an unknown person; CB_EIO when writing to out
 * failed; a registry error. On failure out may hold a partial document. */
int cb_registry_export_person(cb_registry *r, int64_t person_id, int flags, FILE *out,
                              cb_error *err);

/* p as the export's "person" object (the keys above), laid out as layout:
 * the one way a person is written as JSON (`person list --json` too). */
void cb_registry_json_person(cb_json *j, const cb_person *p, cb_json_layout layout);

#endif
