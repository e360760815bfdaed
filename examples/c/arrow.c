/*
 * Arrow in and out of the C ABI, from C alone: a stream of record batches built by hand
 * (the Arrow C stream interface; no Arrow library) becomes an enterprise store
 * (huiqi_store_from_arrow), and the bulk results come back as a stream that C reads
 * (huiqi_bulk_arrow): counts, pairs and lists. The answers are checked against what this
 * file computes itself from its own rows, and against huiqi_bulk_counts on the same store.
 *
 *   arrow   (no arguments; exit status 0 when every check passes)
 *
 * The one policy: employees@fy1 >= 10 and registered_region under 3701 (济南). On
 * 2026-06-30, fy1 is 2025. Rows: uscc, registered_region, employees_2025 (null: unknown).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "huiqi.h"

/* The Arrow C data and stream interfaces (https://arrow.apache.org/docs/format/CDataInterface.html). */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_NULLABLE 2
struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};
struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};
#endif
#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *);
    void *private_data;
};
#endif

static int checks, failed;
#define CHECK(cond, ...)                                  \
    do {                                                  \
        checks++;                                         \
        if (!(cond)) {                                    \
            failed++;                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                 \
            fputc('\n', stderr);                          \
        }                                                 \
    } while (0)

#define ROWS 6
#define BATCH 4 /* rows 0-3, then 4-5: two batches */
static const char *USCC[ROWS] = {"914403001922038216", "91440300708461136T", "911100001000000005", "911100001000000013",
                                 "911100001000000021", "91110000100000003X"};
static const char *REGION[ROWS] = {"370102", "370112", "110105", "370181", "370102", "370112"};
static const int64_t EMPLOYEES[ROWS] = {25, 3, 40, 0 /* null */, 10, 12};
static const int EMPLOYEES_NULL[ROWS] = {0, 0, 0, 1, 0, 0};
/* By the policy: row 0 eligible, 1 no (3 < 10), 2 no (Beijing), 3 undetermined (unknown
 * headcount, in 济南), 4 eligible, 5 eligible. */
static const char *WANT_ELIGIBLE[] = {"914403001922038216", "911100001000000021", "91110000100000003X"};
static const char *WANT_UNDETERMINED = "911100001000000013";

/* ---- the input stream: static data, fresh structs per call, releases counted ---- */

static int schemas_released, arrays_released, streams_released;
static const char *bad_name; /* when set, the third column gets this name */
static int fail_at_batch = -1; /* when >= 0, get_next fails at that batch */

static void release_schema(struct ArrowSchema *s) {
    for (int64_t i = 0; i < s->n_children; i++)
        if (s->children[i]->release) s->children[i]->release(s->children[i]);
    if (s->n_children) schemas_released++;
    s->release = NULL;
}

struct Schemas {
    struct ArrowSchema top, child[3];
    struct ArrowSchema *children[3];
};
static struct Schemas schema_store;

static int get_schema(struct ArrowArrayStream *stream, struct ArrowSchema *out) {
    (void)stream;
    static const char *names[3] = {"uscc", "registered_region", "employees_2025"};
    static const char *formats[3] = {"u", "u", "l"};
    struct Schemas *s = &schema_store;
    for (int i = 0; i < 3; i++) {
        s->child[i] = (struct ArrowSchema){formats[i], (i == 2 && bad_name) ? bad_name : names[i], NULL, ARROW_FLAG_NULLABLE, 0, NULL, NULL, release_schema, NULL};
        s->children[i] = &s->child[i];
    }
    *out = (struct ArrowSchema){"+s", "", NULL, 0, 3, s->children, NULL, release_schema, NULL};
    return 0;
}

/* One batch's buffers. */
struct Batch {
    int32_t uscc_offsets[ROWS + 1], region_offsets[ROWS + 1];
    char uscc_data[ROWS * 18], region_data[ROWS * 6];
    int64_t employees[ROWS];
    uint8_t valid[1];
    const void *top_buffers[1], *uscc_buffers[3], *region_buffers[3], *employees_buffers[2];
    struct ArrowArray top, child[3];
    struct ArrowArray *children[3];
};
static struct Batch batches[2];
static int next_batch;

static void release_array(struct ArrowArray *a) {
    for (int64_t i = 0; i < a->n_children; i++)
        if (a->children[i]->release) a->children[i]->release(a->children[i]);
    if (a->n_children) arrays_released++;
    a->release = NULL;
}

static int get_next(struct ArrowArrayStream *stream, struct ArrowArray *out) {
    (void)stream;
    if (next_batch == fail_at_batch) return 5; /* EIO */
    if (next_batch >= 2) {
        memset(out, 0, sizeof *out); /* end of stream: release == NULL */
        return 0;
    }
    int first = next_batch == 0 ? 0 : BATCH, n = next_batch == 0 ? BATCH : ROWS - BATCH;
    struct Batch *b = &batches[next_batch++];
    int64_t nulls = 0;
    b->uscc_offsets[0] = b->region_offsets[0] = 0;
    b->valid[0] = 0;
    for (int i = 0; i < n; i++) {
        memcpy(b->uscc_data + 18 * i, USCC[first + i], 18);
        memcpy(b->region_data + 6 * i, REGION[first + i], 6);
        b->uscc_offsets[i + 1] = 18 * (i + 1);
        b->region_offsets[i + 1] = 6 * (i + 1);
        b->employees[i] = EMPLOYEES[first + i];
        if (EMPLOYEES_NULL[first + i]) nulls++;
        else b->valid[0] |= (uint8_t)(1u << i);
    }
    b->uscc_buffers[0] = NULL, b->uscc_buffers[1] = b->uscc_offsets, b->uscc_buffers[2] = b->uscc_data;
    b->region_buffers[0] = NULL, b->region_buffers[1] = b->region_offsets, b->region_buffers[2] = b->region_data;
    b->employees_buffers[0] = b->valid, b->employees_buffers[1] = b->employees;
    b->top_buffers[0] = NULL;
    b->child[0] = (struct ArrowArray){n, 0, 0, 3, 0, b->uscc_buffers, NULL, NULL, release_array, NULL};
    b->child[1] = (struct ArrowArray){n, 0, 0, 3, 0, b->region_buffers, NULL, NULL, release_array, NULL};
    b->child[2] = (struct ArrowArray){n, nulls, 0, 2, 0, b->employees_buffers, NULL, NULL, release_array, NULL};
    for (int i = 0; i < 3; i++) b->children[i] = &b->child[i];
    *out = (struct ArrowArray){n, 0, 0, 1, 3, b->top_buffers, b->children, NULL, release_array, NULL};
    return 0;
}

static const char *get_last_error(struct ArrowArrayStream *stream) {
    (void)stream;
    return "the disk went away";
}

static void release_stream(struct ArrowArrayStream *s) {
    streams_released++;
    s->release = NULL;
}

static struct ArrowArrayStream input(void) {
    next_batch = 0;
    return (struct ArrowArrayStream){get_schema, get_next, get_last_error, release_stream, NULL};
}

/* ---- reading a result stream ---- */

/* The value of row i of a utf8 array, copied into buf. */
static const char *utf8_at(const struct ArrowArray *a, int64_t i, char *buf, size_t cap) {
    const int32_t *off = a->buffers[1];
    const char *data = a->buffers[2];
    int64_t j = a->offset + i;
    size_t len = (size_t)(off[j + 1] - off[j]);
    if (len >= cap) len = cap - 1;
    memcpy(buf, data + off[j], len);
    buf[len] = 0;
    return buf;
}

static const char *SHAPES[] = {"counts", "pairs", "lists"};

int main(void) {
    const char *sources =
        "[{\"origin\": \"example.json\", \"text\": {\"policies\": [{\"id\": \"jinan-ten\", \"title\": \"十人以上的济南企业\","
        " \"issuer\": \"example\", \"doc_no\": \"example\", \"year\": 2024, \"level\": \"municipal\","
        " \"condition\": \"employees@fy1 >= 10 and registered_region under 3701\","
        " \"benefit\": {\"kind\": \"none\", \"description\": \"example\"}, \"source\": {\"document\": \"examples/c/arrow.c\"}}]}}]";
    char *err = NULL;
    HuiqiEngine *engine = huiqi_engine_from_sources(NULL, sources, false, &err);
    CHECK(engine != NULL, "engine: %s", err ? err : "?");
    if (!engine) return 1;

    /* ---- store from a stream of two batches ---- */
    struct ArrowArrayStream in = input();
    HuiqiStore *store = huiqi_store_from_arrow(engine, &in, &err);
    CHECK(store != NULL, "store from arrow: %s", err ? err : "?");
    CHECK(streams_released == 1 && in.release == NULL, "the library released the input stream");
    CHECK(arrays_released == 2, "both batches released, %d", arrays_released);
    char *info = huiqi_store_info(store);
    CHECK(info && strstr(info, "\"enterprises\":6"), "six enterprises: %s", info ? info : "NULL");
    huiqi_string_free(info);

    /* ---- results as streams, read in C ---- */
    for (int k = 0; k < 3; k++) {
        char options[96];
        snprintf(options, sizeof options, "{\"output\": \"%s\", \"undetermined\": true}", SHAPES[k]);
        struct ArrowArrayStream out;
        char *r = huiqi_bulk_arrow(engine, store, "2026-06-30", options, &out);
        CHECK(r && strstr(r, "\"type\":\"success\""), "bulk_arrow %s: %s", SHAPES[k], r ? r : "NULL");
        huiqi_string_free(r);
        struct ArrowSchema schema;
        CHECK(out.get_schema(&out, &schema) == 0 && schema.n_children >= 2, "%s schema", SHAPES[k]);
        if (k == 0) CHECK(!strcmp(schema.children[1]->name, "eligible") && !strcmp(schema.children[1]->format, "L"), "counts: eligible is uint64");
        schema.release(&schema);
        int eligible = 0, undetermined = 0, rows = 0;
        for (;;) {
            struct ArrowArray batch;
            CHECK(out.get_next(&out, &batch) == 0, "%s: next batch", SHAPES[k]);
            if (batch.release == NULL) break;
            char id[64], v[32];
            for (int64_t i = 0; i < batch.length; i++, rows++) {
                if (k == 0) { /* counts: policy_id, eligible, undetermined (uint64) */
                    eligible += (int)((const uint64_t *)batch.children[1]->buffers[1])[batch.children[1]->offset + i];
                    undetermined += (int)((const uint64_t *)batch.children[2]->buffers[1])[batch.children[2]->offset + i];
                    CHECK(!strcmp(utf8_at(batch.children[0], i, id, sizeof id), "jinan-ten"), "counts: policy id %s", id);
                } else if (k == 1) { /* pairs: enterprise_id, policy_id, verdict */
                    utf8_at(batch.children[0], i, id, sizeof id);
                    utf8_at(batch.children[2], i, v, sizeof v);
                    if (!strcmp(v, "eligible")) {
                        CHECK(eligible < 3 && !strcmp(id, WANT_ELIGIBLE[eligible]), "pairs: eligible %s", id);
                        eligible++;
                    } else {
                        CHECK(!strcmp(v, "undetermined") && !strcmp(id, WANT_UNDETERMINED), "pairs: %s %s", id, v);
                        undetermined++;
                    }
                } else { /* lists: enterprise_id, eligible list<utf8>, undetermined list<utf8> */
                    const int32_t *e = batch.children[1]->buffers[1], *u = batch.children[2]->buffers[1];
                    int64_t j = batch.children[1]->offset + i, ju = batch.children[2]->offset + i;
                    eligible += e[j + 1] - e[j];
                    undetermined += u[ju + 1] - u[ju];
                    CHECK(!strcmp(utf8_at(batch.children[0], i, id, sizeof id), USCC[rows]), "lists: row %d is %s", rows, id);
                }
            }
            batch.release(&batch);
        }
        out.release(&out);
        CHECK(eligible == 3 && undetermined == 1, "%s: 3 eligible, 1 undetermined; got %d, %d", SHAPES[k], eligible, undetermined);
        CHECK(rows == (k == 0 ? 1 : k == 1 ? 4 : ROWS), "%s: %d rows", SHAPES[k], rows);
    }
    char *counts = huiqi_bulk_counts(engine, store, "2026-06-30");
    CHECK(counts && strstr(counts, "{\"policy\":\"jinan-ten\",\"eligible\":3,\"undetermined\":1}"), "bulk counts agree: %s", counts ? counts : "NULL");
    huiqi_string_free(counts);
    huiqi_store_free(store);

    /* ---- errors: a misspelt column, a failing stream; the stream is released either way ---- */
    bad_name = "employes_2025";
    streams_released = 0;
    in = input();
    err = NULL;
    CHECK(huiqi_store_from_arrow(engine, &in, &err) == NULL, "a misspelt column fails");
    CHECK(err && strstr(err, "employes_2025") && strstr(err, "did you mean") && strstr(err, "employees_2025"), "the error names the column and the field: %s",
          err ? err : "NULL");
    huiqi_string_free(err);
    CHECK(streams_released == 1, "released after a failure");
    bad_name = NULL;
    fail_at_batch = 1;
    in = input();
    err = NULL;
    CHECK(huiqi_store_from_arrow(engine, &in, &err) == NULL, "a stream that fails fails the call");
    CHECK(err && strstr(err, "the disk went away"), "the stream's own error is reported: %s", err ? err : "NULL");
    huiqi_string_free(err);
    CHECK(streams_released == 2, "released after a failing stream");
    err = NULL;
    CHECK(huiqi_store_from_arrow(engine, NULL, &err) == NULL && err != NULL, "a NULL stream is a request failure");
    huiqi_string_free(err);

    huiqi_engine_free(engine);
    printf("%d checks, %d failed\n", checks, failed);
    return failed ? 1 : 0;
}
