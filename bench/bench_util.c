/* bench_util.c - see bench_util.h. */
#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef CB_TESTDATA_DIR
#define CB_TESTDATA_DIR "../shared/testdata"
#endif

void *bench_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "%s: out of memory\n", bench_prog);
        exit(2);
    }
    return q;
}

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int bench_cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

const char *bench_testdata_dir(void)
{
    const char *testdata = getenv("CB_TESTDATA");
    if (!testdata || !*testdata)
        testdata = CB_TESTDATA_DIR;
    return testdata;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **bench_list_dir(const char *dir, int *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = bench_xrealloc(names, sizeof *names * (size_t)(*n + 2));
        names[(*n)++] = strdup(e->d_name);
        names[*n] = NULL;
    }
    closedir(d);
    if (*n > 1)
        qsort(names, (size_t)*n, sizeof *names, cmp_str);
    return names;
}

void bench_free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void bench_each_identity_file(const char *testdata,
                              void (*fn)(void *user, const char *person, const char *file,
                                         int index),
                              void *user)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/identities", testdata);
    int np = 0;
    char **people = bench_list_dir(dir, &np);
    for (int i = 0; i < np; i++) {
        char sub[2048];
        snprintf(sub, sizeof sub, "%s/%s", dir, people[i]);
        int nf = 0;
        char **files = bench_list_dir(sub, &nf);
        for (int j = 0; j < nf; j++)
            fn(user, people[i], files[j], j);
        bench_free_names(files, nf);
    }
    bench_free_names(people, np);
}

int bench_read_truth(const char *file, int (*fn)(void *user, const bench_truth_line *t),
                     void *user)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s: %s\n", bench_prog, file, strerror(errno));
        return -1;
    }
    char line[2048];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char rel[1024], extra[128] = "";
        bench_truth_line t = {rel, 0, 0, 0, 0, extra, 0, lineno};
        t.fields = sscanf(line, "%1023s %f %f %f %f %127s", rel, &t.x, &t.y, &t.w, &t.h, extra);
        if (t.fields <= 0)
            continue;
        int rc = fn(user, &t);
        if (rc) {
            fclose(f);
            return rc;
        }
    }
    fclose(f);
    return 0;
}
