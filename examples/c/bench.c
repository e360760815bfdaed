/*
 * The C-ABI run of the match_many benchmark (python/bench/bench_match_many.py): reads
 * JSON lines, builds the bundled engine, calls huiqi_match_many on the whole batch REPS
 * times, and prints one JSON line: {"profiles", "reps", "seconds": [...], "bytes"}.
 * Writes the answer lines of the last repetition to OUT when given.
 *
 *   bench PROFILES.jsonl AS_OF REPS [OUT]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "huiqi.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s PROFILES.jsonl AS_OF REPS [OUT]\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *jsonl = malloc((size_t)n + 1);
    if (!jsonl || fread(jsonl, 1, (size_t)n, f) != (size_t)n) return 2;
    jsonl[n] = '\0';
    fclose(f);
    int profiles = 0;
    for (const char *p = jsonl, *start = jsonl; *p; p++) {
        if (*p == '\n') {
            if (p > start) profiles++;
            start = p + 1;
        }
    }

    char *err = NULL;
    HuiqiEngine *engine = huiqi_engine_new(NULL, NULL, &err);
    if (!engine) {
        fprintf(stderr, "engine: %s\n", err ? err : huiqi_last_error());
        return 1;
    }
    int reps = atoi(argv[3]);
    char *out = NULL;
    printf("{\"profiles\":%d,\"reps\":%d,\"seconds\":[", profiles, reps);
    for (int i = 0; i < reps; i++) {
        huiqi_string_free(out);
        double t = now();
        out = huiqi_match_many(engine, jsonl, argv[2]);
        printf("%s%.6f", i ? "," : "", now() - t);
    }
    printf("],\"bytes\":%zu}\n", out ? strlen(out) : 0);
    if (argc > 4 && out) {
        FILE *o = fopen(argv[4], "wb");
        if (!o || fwrite(out, 1, strlen(out), o) != strlen(out)) return 2;
        fclose(o);
    }
    huiqi_string_free(out);
    huiqi_engine_free(engine);
    free(jsonl);
    return 0;
}
