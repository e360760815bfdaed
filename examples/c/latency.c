/*
 * Latency of the C calls a platform makes per enterprise: huiqi_match (the default
 * envelope), huiqi_match_opts at "summary", huiqi_verdicts, and the compact verdicts
 * (huiqi_verdict_bytes into one reused buffer), against a policy file.
 * Prints one JSON line per call: {"call", "profiles", "p50_us", "p99_us", "mean_us",
 * "bytes_per_profile"}. Numbers for benches/RESULTS.md (scripts/bench-envelope).
 *
 *   latency POLICIES.jsonl PROFILES.jsonl AS_OF
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "huiqi.h"

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(s);
        return NULL;
    }
    s[n] = '\0';
    fclose(f);
    return s;
}

enum call { MATCH, SUMMARY, VERDICTS, VERDICT_BYTES };

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s POLICIES.jsonl PROFILES.jsonl AS_OF\n", argv[0]);
        return 2;
    }
    char *err = NULL;
    HuiqiEngine *engine = huiqi_engine_from_dir(argv[1], &err);
    if (!engine) {
        fprintf(stderr, "engine: %.500s\n", err ? err : huiqi_last_error());
        huiqi_string_free(err);
        return 1;
    }
    char *text = read_all(argv[2]);
    if (!text) {
        perror(argv[2]);
        return 2;
    }
    /* Split the JSON lines in place. */
    size_t cap = 1024, n = 0;
    char **lines = malloc(cap * sizeof *lines);
    for (char *p = text, *start = text;; p++) {
        if (*p == '\n' || *p == '\0') {
            int end = *p == '\0';
            *p = '\0';
            if (p > start) {
                if (n == cap) lines = realloc(lines, (cap *= 2) * sizeof *lines);
                lines[n++] = start;
            }
            if (end) break;
            start = p + 1;
        }
    }
    double *us = malloc(n * sizeof *us);
    const char *names[] = {"huiqi_match", "huiqi_match_opts summary", "huiqi_verdicts", "huiqi_verdict_bytes"};
    /* One byte per policy; 1 MB holds any set this bench makes. */
    size_t out_len = 1 << 20;
    uint8_t *out = malloc(out_len);
    for (int c = MATCH; c <= VERDICT_BYTES; c++) {
        size_t bytes = 0;
        double total = 0;
        for (size_t i = 0; i < n; i++) {
            if (c == VERDICT_BYTES) {
                double t = now_us();
                int64_t got = huiqi_verdict_bytes(engine, lines[i], argv[3], out, out_len);
                us[i] = now_us() - t;
                total += us[i];
                if (got < 0) {
                    fprintf(stderr, "huiqi_verdict_bytes: %.500s\n", huiqi_last_error());
                    return 1;
                }
                bytes += (size_t)got;
                continue;
            }
            double t = now_us();
            char *r = c == MATCH     ? huiqi_match(engine, lines[i], argv[3])
                      : c == SUMMARY ? huiqi_match_opts(engine, lines[i], argv[3], "{\"detail\":\"summary\"}")
                                     : huiqi_verdicts(engine, lines[i], argv[3]);
            us[i] = now_us() - t;
            total += us[i];
            bytes += r ? strlen(r) : 0;
            huiqi_string_free(r);
        }
        qsort(us, n, sizeof *us, cmp);
        printf("{\"call\":\"%s\",\"profiles\":%zu,\"p50_us\":%.1f,\"p99_us\":%.1f,\"mean_us\":%.1f,\"bytes_per_profile\":%zu}\n", names[c], n,
               n ? us[n / 2] : 0.0, n ? us[(size_t)((double)(n - 1) * 0.99)] : 0.0, n ? total / (double)n : 0.0, n ? bytes / n : 0);
    }
    free(out);
    free(us);
    free(lines);
    free(text);
    huiqi_engine_free(engine);
    return 0;
}
