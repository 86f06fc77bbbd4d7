/*
 * bench_roundtrip.c - what the round trip costs next to libyaml alone.
 *
 * Builds a large compose document (or reads the files given), then times,
 * in the same run and over the same bytes:
 *   parse   a bare libyaml event parse (the floor: nothing can be faster);
 *   trip    cz_doc_parse + cz_doc_render without edits + cz_doc_free;
 *   edit    the same with one key inserted into every service, which adds
 *           the re-parse check of the rendered output.
 * Each is run `rounds` times; the best time counts. Prints MB/s and the
 * ratio to the bare parse. Build: cmake --build build --target
 * bench_roundtrip; run: build/bench_roundtrip [--cpu] [--rounds N]
 * [FILE...]. --cpu times the process's CPU time rather than the wall
 * clock, as bench_scale.sh does on a machine shared with other work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "composure/yaml.h"

static clockid_t clock_used = CLOCK_MONOTONIC;

static double now(void)
{
    struct timespec ts;

    clock_gettime(clock_used, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void generate(struct cz_buf *b, int services)
{
    int i;

    cz_buf_adds(b, "# generated for bench_roundtrip: caf\xC3\xA9 \xE2\x82\xAC\n"
                   "x-env: &env\n  TZ: UTC\n  LANG: C.UTF-8\n\nservices:\n");
    for (i = 0; i < services; i++)
        cz_buf_addf(b,
                    "  # service %d, na\xC3\xAFve comment\n"
                    "  svc%d:\n"
                    "    image: \"registry.example.com/team/app%d:1.%d\"\n"
                    "    build:\n      context: ./services/svc%d\n"
                    "    environment:\n      <<: *env\n      PORT: '%d'\n"
                    "    ports: [\"%d:%d\"]\n"
                    "    volumes:\n      - ./services/svc%d/app:/app\n"
                    "      - data%d:/var/lib/data:ro\n"
                    "    command: >\n      uvicorn main:app --host 0.0.0.0\n"
                    "      --port %d\n"
                    "    depends_on: [db]\n    restart: unless-stopped\n\n",
                    i, i, i, i % 10, i, 8000 + i, 8000 + i, 8000 + i, i, i,
                    8000 + i);
    cz_buf_adds(b, "volumes:\n  data0: {}\n");
}

static int bare_parse(const char *s, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    int done = 0, ok = 1;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)s, len);
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            ok = 0;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return ok;
}

static int round_trip(struct cz_source *src, int edit)
{
    struct cz_doc *doc;
    struct cz_error err = {0};
    struct cz_buf out = CZ_BUF_INIT;
    struct cz_node *services;
    size_t i;
    int rc = cz_doc_parse(src, &doc, &err);

    if (rc)
        return rc;
    services = cz_map_get(cz_doc_root(doc), "services");
    for (i = 0; edit && services && i < cz_map_len(services); i++)
        rc = rc ? rc : cz_map_set(doc, cz_map_value(services, i), "init",
                                  cz_node_new_plain(doc, "true"), &err);
    if (!rc)
        rc = cz_doc_render(doc, &out, &err);
    if (!rc && !edit && (out.len != src->len ||
                         memcmp(out.buf, src->bytes, src->len) != 0))
        rc = CZ_EINTERNAL;
    if (rc)
        fprintf(stderr, "bench: %s\n", err.msg);
    cz_buf_release(&out);
    cz_doc_free(doc);
    return rc;
}

int main(int argc, char **argv)
{
    struct cz_buf text = CZ_BUF_INIT;
    struct cz_source *src;
    double t, best[3] = {1e9, 1e9, 1e9}, mb;
    int rounds = 20, i, k, argi = 1;
    static const char *const names[] = {"libyaml event parse",
                                        "round trip, no edit",
                                        "round trip, edit+verify"};

    if (argi < argc && strcmp(argv[argi], "--cpu") == 0) {
        clock_used = CLOCK_PROCESS_CPUTIME_ID;
        argi++;
    }
    if (argi + 1 < argc && strcmp(argv[argi], "--rounds") == 0) {
        rounds = atoi(argv[argi + 1]);
        argi += 2;
    }
    if (argi < argc) {
        for (; argi < argc; argi++) {
            FILE *f = fopen(argv[argi], "rb");
            char chunk[65536];
            size_t n;
            if (!f) {
                perror(argv[argi]);
                return 1;
            }
            while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                cz_buf_add(&text, chunk, n);
            fclose(f);
        }
    } else {
        generate(&text, 20000);
    }
    src = cz_source_new("bench.yaml", text.buf, text.len);
    if (!src || !bare_parse(src->bytes, src->len))
        return 1;
    for (i = 0; i < rounds; i++)
        for (k = 0; k < 3; k++) {
            t = now();
            if (k == 0 ? !bare_parse(src->bytes, src->len)
                       : round_trip(src, k == 2) != 0)
                return 1;
            t = now() - t;
            if (t < best[k])
                best[k] = t;
        }
    mb = (double)src->len / 1e6;
    printf("input: %.1f MB, best of %d rounds\n", mb, rounds);
    for (k = 0; k < 3; k++)
        printf("%-26s %8.1f ms %8.1f MB/s  %.2fx\n", names[k],
               best[k] * 1e3, mb / best[k], best[k] / best[0]);
    cz_source_free(src);
    cz_buf_release(&text);
    return 0;
}
