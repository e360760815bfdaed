/*
 * Exercises every function of the Huiqi C ABI and every error path, asserting on the
 * returned envelopes. Built against libhuiqi.so and libhuiqi.a and run under valgrind
 * by scripts/test-bindings (see the Makefile, which also makes the store arguments with
 * the CLI).
 *
 *   ./match [REPO_ROOT [STORE JSONL POLICY LIST EXPECTED_REVERSE COUNTS_CSV]]
 *
 * REPO_ROOT defaults to ../..; without the store arguments the store checks are skipped.
 * STORE is a store file saved by `huiqi store build` from the JSON lines JSONL;
 * EXPECTED_REVERSE the output of `huiqi reverse --policy POLICY --enterprises STORE
 * --as-of 2026-06-30 --json --list LIST`, which huiqi_reverse must equal byte for byte;
 * COUNTS_CSV the file written by `huiqi bulk --enterprises STORE --format counts
 * --as-of 2026-06-30`, whose numbers huiqi_bulk_counts must give.
 *
 * Exit status 0 when every check passes.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "huiqi.h"

static int checks = 0, failures = 0;

#define CHECK(cond, ...)                                              \
    do {                                                              \
        checks++;                                                     \
        if (!(cond)) {                                                \
            failures++;                                               \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
        }                                                             \
    } while (0)

/* The string, or "(null)" for printing. */
static const char *show(const char *s) { return s ? s : "(null)"; }

/* Whether s is non-NULL and contains every one of the needles (NULL-terminated list). */
static int has(const char *s, ...) {
    va_list ap;
    const char *needle;
    int ok = s != NULL;
    va_start(ap, s);
    while ((needle = va_arg(ap, const char *)) != NULL)
        if (ok && strstr(s, needle) == NULL) ok = 0;
    va_end(ap);
    return ok;
}
#define HAS(s, ...) has((s), __VA_ARGS__, (const char *)NULL)

static int count_lines(const char *s) {
    int n = 0;
    for (; s && *s; s++)
        if (*s == '\n') n++;
    return n;
}

/* The n-th line (0-based) of s, copied into buf. */
static const char *line_of(const char *s, int n, char *buf, size_t size) {
    while (s && n > 0) {
        s = strchr(s, '\n');
        if (s) s++;
        n--;
    }
    if (!s) return "";
    const char *end = strchr(s, '\n');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    if (len >= size) len = size - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

/* The "summary" object of a match envelope, copied into buf. */
static const char *summary_of(const char *envelope, char *buf, size_t size) {
    const char *s = strstr(envelope, "\"summary\":");
    const char *end = s ? strchr(s, '}') : NULL;
    if (!end) return "";
    size_t len = (size_t)(end + 1 - s);
    if (len >= size) len = size - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static const char *AS_OF = "2026-06-30";

/* A small policy set of our own. */
static const char *POLICIES =
    "{\"definitions\": {},"
    " \"policies\": [{\"id\": \"big-capital\", \"title\": \"Big capital\", \"issuer\": \"test\","
    " \"doc_no\": \"test\", \"year\": 2024, \"level\": \"national\","
    " \"condition\": \"registered_capital >= 500万\","
    " \"benefit\": {\"kind\": \"none\", \"description\": \"test\"},"
    " \"source\": {\"document\": \"test\"}}]}";

/* The same policy with a syntax error in its condition. */
static const char *BAD_POLICIES =
    "{\"policies\": [{\"id\": \"broken\", \"title\": \"Broken\", \"issuer\": \"test\","
    " \"doc_no\": \"test\", \"year\": 2024, \"level\": \"national\","
    " \"condition\": \"registered_capital >= >= 500万\","
    " \"benefit\": {\"kind\": \"none\", \"description\": \"test\"},"
    " \"source\": {\"document\": \"test\"}}]}";

struct thread_job {
    const HuiqiEngine *engine;
    const char *profile;
    const char *expected;
    int ok;
};

static void *match_in_thread(void *arg) {
    struct thread_job *job = arg;
    job->ok = 1;
    for (int i = 0; i < 3; i++) {
        char *r = huiqi_match(job->engine, job->profile, AS_OF);
        if (!r || strcmp(r, job->expected) != 0) job->ok = 0;
        huiqi_string_free(r);
    }
    return NULL;
}

/* --- enterprise stores ------------------------------------------------------------------ */

/* Copies the first half of a file (a truncated, so corrupt, copy). */
static void write_half(const char *from, const char *to) {
    FILE *in = fopen(from, "rb");
    if (!in) {
        perror(from);
        exit(2);
    }
    fseek(in, 0, SEEK_END);
    long n = ftell(in) / 2;
    fseek(in, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    FILE *out = fopen(to, "wb");
    if (!buf || !out || fread(buf, 1, (size_t)n, in) != (size_t)n || fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
        fprintf(stderr, "cannot copy %s to %s\n", from, to);
        exit(2);
    }
    fclose(in);
    fclose(out);
    free(buf);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}

/* Removes one trailing newline (the CLI ends its output with one). */
static char *chomp(char *s) {
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '\n') s[n - 1] = '\0';
    return s;
}

static size_t count_of(const char *s, const char *needle) {
    size_t n = 0;
    for (const char *p = s ? strstr(s, needle) : NULL; p; p = strstr(p + 1, needle)) n++;
    return n;
}

struct reverse_job {
    const HuiqiEngine *engine;
    const HuiqiStore *store;
    const char *policy;
    size_t list;
    const char *expected;
    int ok;
};

static void *reverse_in_thread(void *arg) {
    struct reverse_job *job = arg;
    job->ok = 1;
    for (int i = 0; i < 2; i++) {
        char *r = huiqi_reverse(job->engine, job->store, job->policy, AS_OF, job->list);
        if (!r || strcmp(r, job->expected) != 0) job->ok = 0;
        huiqi_string_free(r);
    }
    return NULL;
}

/*
 * The store functions against the CLI: `expected_reverse` is the output of
 * `huiqi reverse --policy POLICY --enterprises STORE --as-of AS_OF --json --list LIST`,
 * `counts_csv` the file written by `huiqi bulk --enterprises STORE --format counts`.
 */
static void store_checks(const char *profile, const char *store_path, const char *jsonl_path, const char *policy, size_t list,
                         const char *expected_reverse, const char *counts_csv) {
    char path[4096];
    char *err = NULL;
    char *r;
    char *expected = chomp(read_file(expected_reverse));
    char *counts = read_file(counts_csv);

    HuiqiEngine *engine = huiqi_engine_new(NULL, NULL, NULL);
    CHECK(engine != NULL, "bundled engine: %s", show(huiqi_last_error()));

    /* --- huiqi_store_open, huiqi_store_info: a saved store file ---------------------------- */
    err = (char *)"sentinel";
    HuiqiStore *store = huiqi_store_open(engine, store_path, &err);
    CHECK(store != NULL, "open %s: %s", store_path, show(huiqi_last_error()));
    CHECK(err == NULL, "error_out is set to NULL on success");
    CHECK(huiqi_last_error() == NULL, "no last error after opening: %s", show(huiqi_last_error()));
    r = huiqi_store_info(store);
    CHECK(HAS(r, "{\"type\":\"success\",\"result\":{\"enterprises\":", "\"report\":{\"loaded\":", "\"skipped\":0"), "store info: %s", show(r));
    huiqi_string_free(r);

    /* --- huiqi_store_prepare: the sets kept for the questions below ---------------------- */
    r = huiqi_store_prepare(engine, store, AS_OF);
    CHECK(HAS(r, "{\"type\":\"success\",\"result\":{", "\"as_of\":\"2026-06-30\"", "\"seconds\":"), "prepare: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_store_prepare(engine, store, "2026-02-30");
    CHECK(HAS(r, "{\"type\":\"failure\"", "as_of"), "prepare on no such day: %s", show(r));
    huiqi_string_free(r);
    CHECK(huiqi_store_prepare(engine, NULL, AS_OF) == NULL && huiqi_last_error() != NULL, "prepare of no store is NULL with an error");

    /* --- huiqi_reverse: byte for byte the CLI's reverse --json ------------------------------ */
    r = huiqi_reverse(engine, store, policy, AS_OF, list);
    CHECK(r && strcmp(r, expected) == 0, "reverse equals the CLI:\n  got  %s\n  want %s", show(r), expected);
    CHECK(HAS(r, "\"eligible_ids\":[\"", "\"undetermined_ids\":[\""), "reverse lists ids: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_reverse(engine, store, policy, AS_OF, 0);
    CHECK(HAS(r, "{\"type\":\"success\"", "\"eligible_ids\":[]", "\"undetermined_ids\":[]"), "list 0: %s", show(r));
    huiqi_string_free(r);

    /* The same enterprises as JSON lines give the same answer; the report counts them. */
    HuiqiStore *from_jsonl = huiqi_store_open(engine, jsonl_path, &err);
    CHECK(from_jsonl != NULL && err == NULL, "open %s: %s", jsonl_path, show(err));
    r = huiqi_reverse(engine, from_jsonl, policy, AS_OF, list);
    CHECK(r && strcmp(r, expected) == 0, "reverse over JSON lines equals the CLI: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_store_info(from_jsonl);
    CHECK(HAS(r, "{\"type\":\"success\"", "\"skipped\":0", "\"warnings\":"), "JSON-lines info: %s", show(r));
    huiqi_string_free(r);

    /* --- huiqi_fields_read: the columns a columnar job needs ------------------------------ */
    r = huiqi_fields_read(engine);
    CHECK(HAS(r, "{\"type\":\"success\",\"result\":{\"fields\":[", "{\"name\":\"qualifications\",\"label\":\"资质荣誉\",\"per_year\":false}",
              "{\"name\":\"employees\",\"label\":\"从业人员\",\"per_year\":true}", "\"ids\":[\"uscc\",\"name\"]"),
          "fields read: %.300s", show(r));
    CHECK(r && strstr(r, "\"business_scope\"") == NULL, "no bundled policy reads the business scope: %.300s", show(r));
    huiqi_string_free(r);
    CHECK(huiqi_fields_read(NULL) == NULL && huiqi_last_error() != NULL, "fields read of no engine is NULL with an error");

    /* --- huiqi_bulk_counts: the numbers of huiqi bulk --format counts ------------------------ */
    r = huiqi_bulk_counts(engine, store, AS_OF);
    CHECK(HAS(r, "{\"type\":\"success\",\"result\":[{\"policy\":"), "bulk counts: %.200s", show(r));
    {
        size_t rows = 0;
        char want[512];
        const char *line = strchr(counts, '\n'); /* skip the header */
        while (line && line[1]) {
            char id[256];
            unsigned long eligible, undetermined;
            line++;
            if (sscanf(line, "%255[^,],%lu,%lu", id, &eligible, &undetermined) == 3) {
                rows++;
                snprintf(want, sizeof want, "{\"policy\":\"%s\",\"eligible\":%lu,\"undetermined\":%lu}", id, eligible, undetermined);
                CHECK(HAS(r, want), "bulk counts has %s", want);
            }
            line = strchr(line, '\n');
        }
        CHECK(rows > 5 && count_of(r, "{\"policy\":") == rows, "one count per policy line of the CSV: %zu vs %zu", count_of(r, "{\"policy\":"), rows);
    }
    {
        char *again = huiqi_bulk_counts(engine, from_jsonl, AS_OF);
        CHECK(r && again && strcmp(r, again) == 0, "bulk counts over JSON lines are the same");
        huiqi_string_free(again);
    }
    huiqi_string_free(r);
    huiqi_store_free(from_jsonl);
    CHECK(huiqi_last_error() == NULL, "store freed");

    /* --- errors of huiqi_reverse and huiqi_bulk_counts -------------------------------------- */
    {
        /* A one-letter typo: unknown, with the nearest id suggested. */
        char typo[256];
        snprintf(typo, sizeof typo, "%s", policy);
        typo[strlen(typo) - 1] = '\0';
        char did_you_mean[300];
        snprintf(did_you_mean, sizeof did_you_mean, "did you mean \\\"%s\\\"?", policy);
        r = huiqi_reverse(engine, store, typo, AS_OF, list);
        CHECK(HAS(r, "{\"type\":\"failure\"", "\"kind\":\"unknown_policy\"", did_you_mean), "unknown policy: %s", show(r));
        huiqi_string_free(r);
    }
    r = huiqi_reverse(engine, store, "no-such-policy-at-all", AS_OF, list);
    CHECK(HAS(r, "\"kind\":\"unknown_policy\"", "no-such-policy-at-all"), "unknown policy: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_reverse(engine, store, NULL, NULL, list);
    CHECK(HAS(r, "\"type\":\"failure\"", "policy_id is a null pointer", "as_of is a null pointer"), "null arguments: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_reverse(engine, store, "six\xff", AS_OF, list);
    CHECK(HAS(r, "\"type\":\"failure\"", "policy_id is not valid UTF-8"), "bad UTF-8 policy id: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_reverse(engine, store, policy, "2026-02-30", list);
    CHECK(HAS(r, "\"type\":\"failure\"", "\"kind\":\"request\"", "\"path\":\"as_of\""), "reverse bad as_of: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_bulk_counts(engine, store, "June");
    CHECK(HAS(r, "\"type\":\"failure\"", "\"path\":\"as_of\""), "bulk counts bad as_of: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_bulk_counts(engine, store, NULL);
    CHECK(HAS(r, "\"type\":\"failure\"", "as_of is a null pointer"), "bulk counts null as_of: %s", show(r));
    huiqi_string_free(r);

    /* --- errors of huiqi_store_open ------------------------------------------------------- */
    snprintf(path, sizeof path, "%s.missing", store_path);
    HuiqiStore *none = huiqi_store_open(engine, path, &err);
    CHECK(none == NULL, "a missing file gives no store");
    CHECK(HAS(err, "{\"type\":\"failure\"", "\"kind\":\"store\"", "cannot read", ".missing"), "missing file: %s", show(err));
    CHECK(HAS(huiqi_last_error(), "huiqi_store_open: cannot read"), "last error: %s", show(huiqi_last_error()));
    huiqi_string_free(err);

    snprintf(path, sizeof path, "%s.truncated", store_path);
    write_half(store_path, path);
    none = huiqi_store_open(engine, path, &err);
    CHECK(none == NULL && HAS(err, "{\"type\":\"failure\"", "\"kind\":\"store\""), "corrupt store file: %s", show(err));
    huiqi_string_free(err);
    remove(path);

    none = huiqi_store_open(engine, NULL, &err);
    CHECK(none == NULL && HAS(err, "\"kind\":\"request\"", "path is a null pointer"), "null path: %s", show(err));
    huiqi_string_free(err);
    none = huiqi_store_open(engine, "f\xff.store", &err);
    CHECK(none == NULL && HAS(err, "path is not valid UTF-8"), "bad UTF-8 path: %s", show(err));
    huiqi_string_free(err);
    none = huiqi_store_open(NULL, store_path, &err);
    CHECK(none == NULL && HAS(err, "\"kind\":\"request\"", "the engine handle is a null pointer"), "null engine: %s", show(err));
    huiqi_string_free(err);
    none = huiqi_store_open((const HuiqiEngine *)store, store_path, NULL);
    CHECK(none == NULL && HAS(huiqi_last_error(), "huiqi_store_open", "not a live engine handle: it is a store handle"),
          "store given as the engine, no error_out: %s", show(huiqi_last_error()));

    /* Bad rows of a JSON-lines file are skipped and reported, not fatal. */
    {
        char *all = read_file(jsonl_path);
        char *nl = strchr(all, '\n');
        if (nl) nl[1] = '\0';
        size_t n = strlen(all) * 2 + 64;
        char *rows = malloc(n);
        snprintf(rows, n, "%s{not json\n%s", all, all);
        snprintf(path, sizeof path, "%s.rows.jsonl", store_path);
        write_text(path, rows);
        HuiqiStore *partial = huiqi_store_open(engine, path, &err);
        CHECK(partial != NULL && err == NULL, "bad rows are skipped: %s", show(err));
        r = huiqi_store_info(partial);
        CHECK(HAS(r, "\"enterprises\":2", "\"loaded\":2", "\"skipped\":1", "\"line\":2"), "report of bad rows: %s", show(r));
        huiqi_string_free(r);
        huiqi_store_free(partial);
        remove(path);
        free(rows);
        free(all);
    }

    /* --- handles of the wrong kind, foreign, freed, null -------------------------------------- */
    const HuiqiStore *engine_as_store = (const HuiqiStore *)engine;
    r = huiqi_store_info(engine_as_store);
    CHECK(r == NULL && HAS(huiqi_last_error(), "huiqi_store_info", "not a live store handle: it is an engine handle"),
          "engine given as a store: %s", show(huiqi_last_error()));
    r = huiqi_reverse(engine, engine_as_store, policy, AS_OF, list);
    CHECK(r == NULL && HAS(huiqi_last_error(), "huiqi_reverse", "it is an engine handle"), "engine as store (reverse): %s", show(huiqi_last_error()));
    r = huiqi_bulk_counts(engine, engine_as_store, AS_OF);
    CHECK(r == NULL && HAS(huiqi_last_error(), "huiqi_bulk_counts", "it is an engine handle"), "engine as store (bulk): %s", show(huiqi_last_error()));
    huiqi_store_free((HuiqiStore *)engine_as_store);
    CHECK(HAS(huiqi_last_error(), "huiqi_store_free", "it is an engine handle"), "store_free of an engine: %s", show(huiqi_last_error()));
    r = huiqi_match((const HuiqiEngine *)store, profile, AS_OF);
    CHECK(r == NULL && HAS(huiqi_last_error(), "huiqi_match", "not a live engine handle: it is a store handle"), "store as engine: %s",
          show(huiqi_last_error()));
    r = huiqi_reverse((const HuiqiEngine *)store, store, policy, AS_OF, list);
    CHECK(r == NULL && HAS(huiqi_last_error(), "it is a store handle"), "store as engine (reverse): %s", show(huiqi_last_error()));
    huiqi_engine_free((HuiqiEngine *)store);
    CHECK(HAS(huiqi_last_error(), "huiqi_engine_free", "it is a store handle"), "engine_free of a store: %s", show(huiqi_last_error()));
    r = huiqi_reverse(engine, store, policy, AS_OF, list); /* both survived */
    CHECK(r && strcmp(r, expected) == 0, "engine and store still live");
    huiqi_string_free(r);
    {
        long not_a_store[4] = {1, 2, 3, 4};
        r = huiqi_store_info((const HuiqiStore *)not_a_store);
        CHECK(r == NULL && HAS(huiqi_last_error(), "not a live store handle", "huiqi_store_open"), "foreign store: %s", show(huiqi_last_error()));
    }
    r = huiqi_reverse(engine, NULL, policy, AS_OF, list);
    CHECK(r == NULL && HAS(huiqi_last_error(), "the store handle is a null pointer"), "null store: %s", show(huiqi_last_error()));
    r = huiqi_bulk_counts(NULL, store, AS_OF);
    CHECK(r == NULL && HAS(huiqi_last_error(), "the engine handle is a null pointer"), "null engine: %s", show(huiqi_last_error()));

    /* --- concurrent reverse on one engine and one store ---------------------------------------- */
    {
        pthread_t threads[3];
        struct reverse_job jobs[3];
        for (int i = 0; i < 3; i++) {
            jobs[i] = (struct reverse_job){engine, store, policy, list, expected, 0};
            pthread_create(&threads[i], NULL, reverse_in_thread, &jobs[i]);
        }
        for (int i = 0; i < 3; i++) {
            pthread_join(threads[i], NULL);
            CHECK(jobs[i].ok, "reverse thread %d got the CLI's answer", i);
        }
    }

    /* --- a store outlives its engine and serves any engine of the same schema ---------------- */
    huiqi_engine_free(engine);
    HuiqiEngine *own = huiqi_engine_new(NULL, POLICIES, NULL);
    r = huiqi_reverse(own, store, "big-capital", AS_OF, 2);
    CHECK(HAS(r, "{\"type\":\"success\"", "\"policy\":\"big-capital\"", "\"eligible_ids\":[\""), "own policies over the store: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_bulk_counts(own, store, AS_OF);
    CHECK(r && count_of(r, "{\"policy\":") == 1 && HAS(r, "\"policy\":\"big-capital\""), "own bulk counts: %s", show(r));
    huiqi_string_free(r);
    huiqi_engine_free(own);

    huiqi_store_free(store);
    CHECK(huiqi_last_error() == NULL, "store freed");
    r = huiqi_store_info(store);
    CHECK(r == NULL && HAS(huiqi_last_error(), "huiqi_store_info", "freed already"), "freed store: %s", show(huiqi_last_error()));
    r = huiqi_bulk_counts(own, store, AS_OF);
    CHECK(r == NULL && HAS(huiqi_last_error(), "huiqi_bulk_counts", "not a live"), "freed engine and store: %s", show(huiqi_last_error()));
    huiqi_store_free(store);
    CHECK(HAS(huiqi_last_error(), "huiqi_store_free", "freed already"), "double free of a store: %s", show(huiqi_last_error()));
    huiqi_store_free(NULL);
    CHECK(huiqi_last_error() == NULL, "freeing a NULL store is a no-op");

    free(expected);
    free(counts);
}

int main(int argc, char **argv) {
    const char *root = argc > 1 ? argv[1] : "../..";
    char path[4096];
    char line[65536];
    char *err = NULL;
    char *r;

    snprintf(path, sizeof path, "%s/data/enterprises/01-quanzhi-software.json", root);
    char *profile = read_file(path);
    snprintf(path, sizeof path, "%s/data/enterprises/03-laojiefang-restaurant.json", root);
    char *profile3 = read_file(path);

    /* --- huiqi_version --------------------------------------------------------- */
    const char *version = huiqi_version();
    CHECK(version && strchr(version, '.') != NULL, "version %s", show(version));

    /* --- huiqi_engine_new: bundled schema and policies ------------------------- */
    err = (char *)"sentinel";
    HuiqiEngine *engine = huiqi_engine_new(NULL, NULL, &err);
    CHECK(engine != NULL, "bundled engine: %s", show(huiqi_last_error()));
    CHECK(err == NULL, "error_out is set to NULL on success");
    CHECK(huiqi_last_error() == NULL, "no last error after success: %s", show(huiqi_last_error()));

    /* --- huiqi_match ------------------------------------------------------------ */
    char *matched = huiqi_match(engine, profile, AS_OF);
    CHECK(HAS(matched, "{\"type\":\"success\"", "\"hitech-eit-15pct-rate\"", "\"eligible\""), "match: %.300s", show(matched));
    CHECK(HAS(matched, "济南泉智云图软件科技有限公司"), "match names the enterprise");

    r = huiqi_match(engine, NULL, AS_OF);
    CHECK(HAS(r, "\"type\":\"failure\"", "\"kind\":\"request\"", "profile_json is a null pointer"), "null profile: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_match(engine, profile, NULL);
    CHECK(HAS(r, "\"type\":\"failure\"", "as_of is a null pointer"), "null as_of: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_match(engine, "{\"name\": \"\xff\xfe\"}", AS_OF);
    CHECK(HAS(r, "\"type\":\"failure\"", "profile_json is not valid UTF-8"), "bad UTF-8: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_match(engine, "{\"name\": ", AS_OF);
    CHECK(HAS(r, "\"type\":\"failure\"", "\"kind\":\"json\""), "bad JSON profile: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_match(engine, "{\"registered_capital\": \"lots\"}", AS_OF);
    CHECK(HAS(r, "\"type\":\"failure\"", "\"kind\":\"profile\"", "\"path\":\"$.registered_capital\""), "ill-typed profile: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_match(engine, profile, "2026-13-45");
    CHECK(HAS(r, "\"type\":\"failure\"", "\"kind\":\"request\"", "\"path\":\"as_of\""), "bad as_of: %s", show(r));
    huiqi_string_free(r);

    /* --- huiqi_match_opts and huiqi_verdicts ------------------------------------ */
    r = huiqi_match_opts(engine, profile, AS_OF, NULL);
    CHECK(r && matched && strcmp(r, matched) == 0, "no options: the default envelope");
    huiqi_string_free(r);

    r = huiqi_match_opts(engine, profile, AS_OF, "{\"all\": true, \"detail\": \"summary\"}");
    CHECK(HAS(r, "{\"type\":\"success\"", "\"verdict\":\"ineligible\"", "\"score\"") && !HAS(r, "\"unmet\""), "all, summary: %.300s", show(r));
    huiqi_string_free(r);

    r = huiqi_match_opts(engine, profile, AS_OF, "{\"limit\": 1}");
    CHECK(HAS(r, "{\"type\":\"success\"") && !HAS(r, "},{\"id\""), "limit 1 lists one policy: %.300s", show(r));
    huiqi_string_free(r);

    r = huiqi_match_opts(engine, profile, AS_OF, "{\"detial\": \"summary\"}");
    CHECK(HAS(r, "\"type\":\"failure\"", "\"kind\":\"request\"", "detial"), "unknown option: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_verdicts(engine, profile, AS_OF);
    {
        char *opts = huiqi_match_opts(engine, profile, AS_OF, "{\"detail\":\"verdicts\"}");
        CHECK(r && opts && strcmp(r, opts) == 0, "huiqi_verdicts is the verdicts level: %s", show(r));
        CHECK(HAS(r, "\"summary\":{\"eligible\":", "\"hitech-eit-15pct-rate\"") && !HAS(r, "\"title\""), "verdicts: %.300s", show(r));
        huiqi_string_free(opts);
    }
    huiqi_string_free(r);

    r = huiqi_verdicts(engine, NULL, AS_OF);
    CHECK(HAS(r, "\"type\":\"failure\"", "profile_json is a null pointer"), "verdicts null profile: %s", show(r));
    huiqi_string_free(r);

    /* --- huiqi_verdict_bytes: one byte per policy, the ids once ------------------- */
    {
        char *ids = huiqi_call(engine, NULL, "policy_ids", NULL);
        CHECK(HAS(ids, "{\"type\":\"success\"", "\"hitech-eit-15pct-rate\""), "policy_ids: %.300s", show(ids));
        /* The position of hitech-eit-15pct-rate in the ids: count the ids before it. */
        size_t at = 0;
        const char *hit = ids ? strstr(ids, "\"hitech-eit-15pct-rate\"") : NULL;
        for (const char *p = ids ? strstr(ids, "\"ids\":[") : NULL; p && hit && p < hit; p++) at += *p == ',';
        unsigned char bytes[4096];
        memset(bytes, 0xEE, sizeof bytes);
        int64_t n = huiqi_verdict_bytes(engine, profile, AS_OF, bytes, sizeof bytes);
        CHECK(n > 10 && (size_t)n < sizeof bytes && bytes[n] == 0xEE, "verdict bytes: %lld", (long long)n);
        CHECK(at < (size_t)n && bytes[at] == 1, "hitech-eit-15pct-rate is eligible (byte %zu is %d)", at, at < sizeof bytes ? bytes[at] : -1);
        int64_t bad = huiqi_verdict_bytes(engine, profile, AS_OF, bytes, 3);
        CHECK(bad == -1 && HAS(huiqi_last_error(), "\"type\":\"failure\"", "\"path\":\"out\""), "a short buffer: %s", show(huiqi_last_error()));
        huiqi_string_free(ids);
    }

    /* --- huiqi_explain ---------------------------------------------------------- */
    r = huiqi_explain(engine, profile, "hitech-eit-15pct-rate", AS_OF);
    CHECK(HAS(r, "{\"type\":\"success\"", "\"explanation\"", "\"condition\"", "\"verdict\":\"eligible\""), "explain: %.300s", show(r));
    huiqi_string_free(r);

    r = huiqi_explain(engine, profile, "hitech-eit-15pct-rat", AS_OF);
    CHECK(HAS(r, "\"type\":\"failure\"", "\"kind\":\"unknown_policy\"", "did you mean", "hitech-eit-15pct-rate"), "unknown policy: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_explain(engine, profile, NULL, AS_OF);
    CHECK(HAS(r, "\"type\":\"failure\"", "policy_id is a null pointer"), "null policy id: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_explain(engine, NULL, NULL, NULL);
    CHECK(HAS(r, "profile_json is a null pointer", "policy_id is a null pointer", "as_of is a null pointer"), "all null: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_explain(engine, profile, "hitech-eit-15pct-rate\xc3", AS_OF);
    CHECK(HAS(r, "\"type\":\"failure\"", "policy_id is not valid UTF-8"), "bad UTF-8 policy id: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_explain(engine, "[1, 2", "hitech-eit-15pct-rate", AS_OF);
    CHECK(HAS(r, "\"type\":\"failure\"", "\"kind\":\"json\""), "explain bad JSON: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_explain(engine, profile, "hitech-eit-15pct-rate", "yesterday");
    CHECK(HAS(r, "\"type\":\"failure\"", "\"path\":\"as_of\""), "explain bad as_of: %s", show(r));
    huiqi_string_free(r);

    /* --- huiqi_match_many ------------------------------------------------------- */
    {
        size_t n = strlen(profile) + strlen(profile3) + 64;
        char *jsonl = malloc(n);
        /* Profiles as single lines: the sample files are pretty-printed. */
        char *one = strdup(profile), *three = strdup(profile3);
        for (char *p = one; *p; p++)
            if (*p == '\n') *p = ' ';
        for (char *p = three; *p; p++)
            if (*p == '\n') *p = ' ';
        snprintf(jsonl, n, "%s\n{not json\n\n%s\n", one, three);
        r = huiqi_match_many(engine, jsonl, AS_OF);
        CHECK(count_lines(r) == 4, "one line per input line: %d", count_lines(r));
        CHECK(matched && strcmp(line_of(r, 0, line, sizeof line), matched) == 0, "line 1 equals huiqi_match");
        CHECK(HAS(line_of(r, 1, line, sizeof line), "{\"type\":\"failure\"", "\"kind\":\"json\"", "\"line\":2"), "line 2 is an error: %s", line);
        CHECK(HAS(line_of(r, 2, line, sizeof line), "{\"type\":\"failure\"", "empty line", "\"line\":3"), "line 3 (blank) is an error: %s", line);
        CHECK(HAS(line_of(r, 3, line, sizeof line), "{\"type\":\"success\"", "老街坊"), "line 4 goes on: %.200s", line);
        huiqi_string_free(r);

        r = huiqi_match_many(engine, jsonl, "2026-02-30");
        CHECK(count_lines(r) == 4 && HAS(line_of(r, 3, line, sizeof line), "\"path\":\"as_of\""), "bad as_of on every line: %s", show(r));
        huiqi_string_free(r);

        /* --- huiqi_match_many_opts: any thread count gives the same lines ------------ */
        char *one_thread = huiqi_match_many_opts(engine, jsonl, AS_OF, "{\"detail\":\"verdicts\"}", 1, 1);
        char *three_threads = huiqi_match_many_opts(engine, jsonl, AS_OF, "{\"detail\":\"verdicts\"}", 1, 3);
        CHECK(one_thread && three_threads && strcmp(one_thread, three_threads) == 0, "1 and 3 threads agree: %s", show(three_threads));
        CHECK(count_lines(one_thread) == 4 && HAS(line_of(one_thread, 0, line, sizeof line), "\"policies\":[{\"id\":", "\"verdict\"")
                  && !HAS(line, "\"score\""),
              "verdicts lines: %.300s", line);
        huiqi_string_free(one_thread);
        huiqi_string_free(three_threads);
        r = huiqi_match_many_opts(engine, jsonl, AS_OF, "{\"detail\":\"everything\"}", 1, 0);
        CHECK(count_lines(r) == 1 && HAS(r, "\"kind\":\"request\"", "options.detail"), "bad options: %s", show(r));
        huiqi_string_free(r);
        free(jsonl);
        free(one);
        free(three);
    }

    r = huiqi_match_many(engine, NULL, AS_OF);
    CHECK(count_lines(r) == 1 && HAS(r, "\"type\":\"failure\"", "jsonl is a null pointer"), "null jsonl: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_match_many(engine, "{}\n\xff\n", AS_OF);
    CHECK(count_lines(r) == 1 && HAS(r, "jsonl is not valid UTF-8"), "bad UTF-8 jsonl: %s", show(r));
    huiqi_string_free(r);

    r = huiqi_match_many(engine, "", AS_OF);
    CHECK(r != NULL && r[0] == '\0', "no lines in, no lines out: %s", show(r));
    huiqi_string_free(r);

    /* --- concurrent use of one engine -------------------------------------------- */
    {
        pthread_t threads[4];
        struct thread_job jobs[4];
        for (int i = 0; i < 4; i++) {
            jobs[i] = (struct thread_job){engine, profile, matched, 0};
            pthread_create(&threads[i], NULL, match_in_thread, &jobs[i]);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(threads[i], NULL);
            CHECK(jobs[i].ok, "thread %d got the same answer", i);
        }
    }

    /* --- huiqi_engine_from_dir ---------------------------------------------------- */
    snprintf(path, sizeof path, "%s/data/policies", root);
    HuiqiEngine *from_dir = huiqi_engine_from_dir(path, &err);
    CHECK(from_dir != NULL && err == NULL, "from_dir: %s", show(err));
    r = huiqi_match(from_dir, profile, AS_OF);
    /* The same policies (in file-name order rather than the bundled order): the same verdicts. */
    CHECK(r && matched && strcmp(summary_of(r, line, sizeof line), summary_of(matched, path, sizeof path)) == 0,
          "data/policies gives the bundled verdicts: %s", line);
    huiqi_string_free(r);
    huiqi_engine_free(from_dir);

    HuiqiEngine *none = huiqi_engine_from_dir("/nonexistent/policies", &err);
    CHECK(none == NULL, "missing folder gives no engine");
    CHECK(HAS(err, "\"type\":\"failure\"", "cannot read policy folder /nonexistent/policies"), "missing folder: %s", show(err));
    CHECK(HAS(huiqi_last_error(), "huiqi_engine_from_dir", "/nonexistent/policies"), "last error: %s", show(huiqi_last_error()));
    huiqi_string_free(err);

    none = huiqi_engine_from_dir(NULL, &err);
    CHECK(none == NULL && HAS(err, "policies_dir is a null pointer"), "null folder: %s", show(err));
    huiqi_string_free(err);

    snprintf(path, sizeof path, "%s/data/schema", root);
    none = huiqi_engine_from_dir(path, &err);
    CHECK(none == NULL && HAS(err, "\"type\":\"failure\""), "schema folder is not a policy set: %s", show(err));
    huiqi_string_free(err);

    /* --- huiqi_engine_new: our own policies, and bad ones --------------------------- */
    HuiqiEngine *own = huiqi_engine_new(NULL, POLICIES, &err);
    CHECK(own != NULL && err == NULL, "own policies: %s", show(err));
    r = huiqi_explain(own, "{\"registered_capital\": 300}", "big-capital", AS_OF);
    CHECK(HAS(r, "\"verdict\":\"ineligible\"", "低于要求的 500万元"), "own policy explained: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_explain(own, profile, "hitech-eit-15pct-rate", AS_OF);
    CHECK(HAS(r, "\"kind\":\"unknown_policy\""), "bundled policies are not in an own set: %s", show(r));
    huiqi_string_free(r);
    huiqi_engine_free(own);

    none = huiqi_engine_new(NULL, BAD_POLICIES, &err);
    CHECK(none == NULL, "bad policy set gives no engine");
    CHECK(HAS(err, "\"type\":\"failure\"", "\"kind\":\"policy\"", "\"policy\":\"broken\"", "\"line\":", "\"column\":"), "bad policy set: %s", show(err));
    CHECK(huiqi_last_error() != NULL, "last error after a bad policy set");
    huiqi_string_free(err);

    none = huiqi_engine_new(NULL, "{\"policies\": [", &err);
    CHECK(none == NULL && HAS(err, "\"kind\":\"policy\"", "not valid JSON"), "policy set not JSON: %s", show(err));
    huiqi_string_free(err);

    none = huiqi_engine_new("{\"fields\": 3}", NULL, &err);
    CHECK(none == NULL && HAS(err, "\"kind\":\"schema\""), "bad schema: %s", show(err));
    huiqi_string_free(err);

    none = huiqi_engine_new("\xff", NULL, &err);
    CHECK(none == NULL && HAS(err, "schema_json is not valid UTF-8"), "bad UTF-8 schema: %s", show(err));
    huiqi_string_free(err);

    /* error_out may be NULL: the envelope is dropped, the last error stays. */
    none = huiqi_engine_new(NULL, BAD_POLICIES, NULL);
    CHECK(none == NULL && HAS(huiqi_last_error(), "huiqi_engine_new"), "no error_out: %s", show(huiqi_last_error()));

    /* --- huiqi_engine_with_tables: code tables replaced, as huiqi --codes DIR -------- */
    {
        const char *zone_policy =
            "[{\"origin\": \"zone.json\", \"text\": {\"policies\": [{\"id\": \"zone-test\", \"title\": \"t\", \"issuer\": \"test\","
            " \"doc_no\": \"test\", \"year\": 2024, \"level\": \"district\", \"condition\": \"registered_zone under test_zone\","
            " \"benefit\": {\"kind\": \"none\", \"description\": \"test\"}, \"source\": {\"document\": \"test\"}}]}}]";
        /* A platform-local zone list (synthetic, for this test only). */
        const char *zone_table =
            "[{\"origin\": \"zones.json\", \"text\": {\"system\": \"zone\", \"standard\": \"test zones (synthetic)\","
            " \"nodes\": [{\"code\": \"test_zone\", \"name\": \"test zone\", \"districts\": [\"370102\"]}]}}]";
        none = huiqi_engine_with_tables(NULL, NULL, zone_policy, false, &err);
        CHECK(none == NULL && HAS(err, "test_zone", "not in the code table"), "bundled zones reject test_zone: %s", show(err));
        huiqi_string_free(err);
        HuiqiEngine *zoned = huiqi_engine_with_tables(NULL, zone_table, zone_policy, false, &err);
        CHECK(zoned != NULL && err == NULL, "replaced zone table: %s", show(err));
        r = huiqi_match(zoned, "{\"name\": \"z\", \"registered_zone\": \"test_zone\"}", AS_OF);
        CHECK(HAS(r, "\"id\":\"zone-test\"", "\"verdict\":\"eligible\""), "match on the replaced table: %.300s", show(r));
        huiqi_string_free(r);
        huiqi_engine_free(zoned);
        HuiqiEngine *plain = huiqi_engine_with_tables(NULL, "[]", NULL, false, &err);
        CHECK(plain != NULL && err == NULL, "bundled tables and policies: %s", show(err));
        r = huiqi_match(plain, profile, AS_OF);
        CHECK(HAS(r, "{\"type\":\"success\"", "hitech-certification"), "bundled policies: %.200s", show(r));
        huiqi_string_free(r);
        huiqi_engine_free(plain);
        none = huiqi_engine_with_tables(NULL, "[{\"origin\": \"industry.json\", \"text\": {\"system\": \"industry\", \"nodes\": []}}]", NULL, false, &err);
        CHECK(none == NULL && HAS(err, "\"kind\":\"codes\"", "industry.json"), "a bad table names itself: %s", show(err));
        huiqi_string_free(err);
        none = huiqi_engine_with_tables(NULL, "{}", NULL, false, &err);
        CHECK(none == NULL && HAS(err, "codes_json must be a JSON array"), "codes not an array: %s", show(err));
        huiqi_string_free(err);
    }

    /* --- huiqi_engine_from_sources -------------------------------------------------- */
    {
        const char *sources =
            "[{\"origin\": \"case.json\", \"text\": {\"policies\": [{\"id\": \"case\", \"title\": \"t\", \"issuer\": \"test\","
            " \"doc_no\": \"test\", \"year\": 2024, \"level\": \"national\","
            " \"condition\": \"eligible(hitech-certification) and registered_capital >= 100万\","
            " \"benefit\": {\"kind\": \"none\", \"description\": \"test\"}, \"source\": {\"document\": \"test\"}}]}}]";
        HuiqiEngine *with = huiqi_engine_from_sources(NULL, sources, true, &err);
        CHECK(with != NULL && err == NULL, "bundled + case: %s", show(err));
        r = huiqi_explain(with, profile, "case", AS_OF);
        CHECK(HAS(r, "{\"type\":\"success\"", "\"verdict\":\"undetermined\"", "manual_review"), "case policy uses a bundled one: %.300s", show(r));
        huiqi_string_free(r);
        huiqi_engine_free(with);

        none = huiqi_engine_from_sources(NULL, sources, false, &err);
        CHECK(none == NULL && HAS(err, "\"kind\":\"policy\"", "hitech-certification"), "without the bundled set: %s", show(err));
        huiqi_string_free(err);
    }
    none = huiqi_engine_from_sources(NULL, "[{\"origin\": \"a.json\"}, {\"text\": \"{}\"}]", true, &err);
    CHECK(none == NULL && HAS(err, "sources_json[0].text", "sources_json[1].origin"), "incomplete sources: %s", show(err));
    huiqi_string_free(err);
    none = huiqi_engine_from_sources(NULL, "{\"origin\": 1}", false, &err);
    CHECK(none == NULL && HAS(err, "must be a JSON array"), "sources not an array: %s", show(err));
    huiqi_string_free(err);
    none = huiqi_engine_from_sources(NULL, "[", false, &err);
    CHECK(none == NULL && HAS(err, "\"kind\":\"json\""), "sources not JSON: %s", show(err));
    huiqi_string_free(err);
    none = huiqi_engine_from_sources(NULL, "[]", false, &err);
    CHECK(none == NULL && HAS(err, "no policy sources"), "no sources: %s", show(err));
    huiqi_string_free(err);
    none = huiqi_engine_from_sources(NULL, NULL, true, &err);
    CHECK(none == NULL && HAS(err, "sources_json is a null pointer"), "null sources: %s", show(err));
    huiqi_string_free(err);

    /* --- huiqi_check ----------------------------------------------------------------- */
    r = huiqi_check(NULL, NULL);
    CHECK(HAS(r, "{\"type\":\"success\"", "\"policies\":", "\"ids\":[", "hitech-eit-15pct-rate"), "check bundled: %.200s", show(r));
    huiqi_string_free(r);
    r = huiqi_check(NULL, POLICIES);
    CHECK(HAS(r, "{\"type\":\"success\"", "\"policies\":1", "\"ids\":[\"big-capital\"]"), "check own: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_check(NULL, BAD_POLICIES);
    CHECK(HAS(r, "\"type\":\"failure\"", "\"kind\":\"policy\"", "\"origin\":\"policies.json\"", "\"line\":"), "check bad: %s", show(r));
    huiqi_string_free(r);
    r = huiqi_check("\xfe", "\xff");
    CHECK(HAS(r, "schema_json is not valid UTF-8", "policies_json is not valid UTF-8"), "check bad UTF-8: %s", show(r));
    huiqi_string_free(r);

    /* --- invalid handles: null, foreign, freed ------------------------------------------ */
    r = huiqi_match(NULL, profile, AS_OF);
    CHECK(r == NULL && HAS(huiqi_last_error(), "huiqi_match", "null pointer"), "null handle: %s", show(huiqi_last_error()));

    {
        long not_an_engine[4] = {1, 2, 3, 4};
        const HuiqiEngine *foreign = (const HuiqiEngine *)not_an_engine;
        r = huiqi_explain(foreign, profile, "hitech-eit-15pct-rate", AS_OF);
        CHECK(r == NULL && HAS(huiqi_last_error(), "not a live engine handle"), "foreign handle: %s", show(huiqi_last_error()));
        huiqi_engine_free((HuiqiEngine *)foreign);
        CHECK(HAS(huiqi_last_error(), "huiqi_engine_free", "not a live engine handle"), "free of a foreign handle: %s", show(huiqi_last_error()));
    }

    huiqi_engine_free(engine);
    CHECK(huiqi_last_error() == NULL, "free succeeded");
    r = huiqi_match(engine, profile, AS_OF);
    CHECK(r == NULL && HAS(huiqi_last_error(), "huiqi_match", "freed already"), "freed handle: %s", show(huiqi_last_error()));
    r = huiqi_explain(engine, profile, "hitech-eit-15pct-rate", AS_OF);
    CHECK(r == NULL && HAS(huiqi_last_error(), "huiqi_explain"), "freed handle (explain)");
    r = huiqi_match_many(engine, "{}", AS_OF);
    CHECK(r == NULL && HAS(huiqi_last_error(), "huiqi_match_many"), "freed handle (match_many)");
    huiqi_engine_free(engine);
    CHECK(HAS(huiqi_last_error(), "huiqi_engine_free", "freed already"), "double free: %s", show(huiqi_last_error()));

    huiqi_engine_free(NULL);
    CHECK(huiqi_last_error() == NULL, "freeing NULL is a no-op");
    huiqi_string_free(NULL);

    /* --- enterprise stores: huiqi_store_*, huiqi_reverse, huiqi_bulk_counts --------------- */
    if (argc > 2) {
        if (argc != 8) {
            fprintf(stderr, "usage: match ROOT [STORE JSONL POLICY LIST EXPECTED_REVERSE COUNTS_CSV]\n");
            return 2;
        }
        store_checks(profile, argv[2], argv[3], argv[4], (size_t)strtoul(argv[5], NULL, 10), argv[6], argv[7]);
    } else {
        printf("store checks skipped: no store given\n");
    }

    huiqi_string_free(matched);
    free(profile);
    free(profile3);

    printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
