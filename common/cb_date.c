/* cb_date.c - see cb_date.h. */
#include "cb_date.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Split a valid date; returns 0 or -1. */
static int split(const char *s, int *y, int *m, int *d)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (s[5] - '0') * 10 + (s[6] - '0');
    *d = (s[8] - '0') * 10 + (s[9] - '0');
    if (*y < 1900 || *y > 2999 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

int cb_date_valid(const char *s)
{
    int y, m, d;
    return split(s, &y, &m, &d) == 0;
}

void cb_date_today(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

void cb_date_timestamp_now(char out[21])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 21, "1970-01-01T00:00:00Z");
}

int cb_date_add_years(const char *date, int years, char out[11])
{
    int y, m, d;
    if (split(date, &y, &m, &d) < 0)
        return -1;
    y += years;
    if (y < 1900 || y > 2999)
        return -1;
    if (m == 2 && d == 29 && !is_leap(y)) {
        m = 3;
        d = 1;
    }
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return 0;
}

int cb_date_age_on(const char *birth_date, const char *date)
{
    int by, bm, bd, y, m, d;
    if (split(birth_date, &by, &bm, &bd) < 0 || split(date, &y, &m, &d) < 0)
        return -1;
    if (strcmp(birth_date, date) > 0)
        return -1;
    /* The latest whole-year anniversary on or before `date`. */
    int age = y - by;
    char anniversary[11];
    while (age > 0 && (cb_date_add_years(birth_date, age, anniversary) < 0 ||
                       strcmp(anniversary, date) > 0))
        age--;
    return age;
}

double cb_monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
