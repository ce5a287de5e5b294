/*
 * cb_date.h - calendar dates as the registry stores them ("YYYY-MM-DD"):
 * validation, today's date, birthdays and ages; and the monotonic clock that
 * times the work. No allocation, no state.
 */
#ifndef CB_DATE_H
#define CB_DATE_H

/* Seconds on the monotonic clock (for durations; not a date). */
double cb_monotonic_seconds(void);

/* Is s exactly a real calendar date "YYYY-MM-DD" (years 1900-2999)? 1 or 0. */
int cb_date_valid(const char *s);

/* Today's date in local time, "YYYY-MM-DD", into out (11 bytes). */
void cb_date_today(char out[11]);

/* The current time in UTC, "YYYY-MM-DDTHH:MM:SSZ", into out (21 bytes). */
void cb_date_timestamp_now(char out[21]);

/*
 * The date `years` years after `date` (the anniversary), into out (11 bytes).
 * 29 February becomes 1 March in a year without it. Returns 0, or -1 when
 * date is not valid or the result leaves the years 1900-2999.
 */
int cb_date_add_years(const char *date, int years, char out[11]);

/*
 * Age in whole years on `date` of someone born on `birth_date`. Returns the
 * age, or -1 when a date is not valid or the birth date lies after `date`.
 */
int cb_date_age_on(const char *birth_date, const char *date);

#endif
