/*
 * transforms/replicas.h - what replicas.c (classification and the deploy
 * edits) and replicas_ports.c (published ports and the reverse proxies in
 * front of a service) share. Private to these two files.
 *
 * Ownership: strings live in cx->ar, released when the transform returns;
 * interpolated strings live in the model's arena.
 */
#ifndef CZ_TRANSFORMS_REPLICAS_H
#define CZ_TRANSFORMS_REPLICAS_H

#include <stdio.h>

#include "composure/dockerfile.h"
#include "composure/transform.h"

enum svc_state {
    ST_REPLICATE,
    ST_GLOBAL,                    /* a per-host agent: deploy.mode global */
    ST_SKIP
};

/* What few services have: made when one of them is first set
 * (cz_rp_rare()), read through rare_of(). */
struct rp_rare {
    const char *blocker;          /* a service that shares its deploy */
    const char *cname;            /* its container_name, interpolated, when
                                   * another service could refer to it */
    const char *cname_user;       /* another service that uses cname */
    const char *cname_how;        /* ... and where */
    struct svc_info *front;       /* --ports=expose: its reverse proxy */
    const char *front_how;        /* ... and how it routes (cx->ar) */
    const char *awaited_by;       /* a service that waits for it to exit 0
                                   * (service_completed_successfully) */
};

/* Why a service is skipped, kept until pass 3 says it: cz_rp_skip's
 * format and its arguments, not the text, so that the report gets the
 * literal format and packs the arguments (100,000 services keep tens of
 * thousands of these findings until the diff is printed, and much of each
 * is the format's fixed text). Arguments are strings only (copies in
 * cx->ar: some are the caller's buffers), NULL past the last. */
#define RP_WHY_ARGS 5
struct rp_why {
    const char *fmt;
    const char *arg[RP_WHY_ARGS];
    int literal;                  /* CZ_IS_LITERAL(fmt) at the call */
};

/* One per service, kept for the whole transform: 100,000 services hold
 * 100,000 of these, so the slot keeps what the later passes read of most
 * services and no more. What only classification reads (the Dockerfile's
 * stage config) is looked up again there, not copied into every slot;
 * what few services have is behind one pointer; the flags are bits. */
struct svc_info {
    struct cz_service *svc;
    struct rp_rare *rare;         /* NULL: none of it */
    struct {                      /* why it is skipped, said in file order */
        const char *rule;
        const struct rp_why *said;  /* in cx->ar: one per skipped service,
                                     * not a buffer in every service's
                                     * slot; NULL when the report keeps no
                                     * finding of its level (`migrate -q`) */
    } why;
    /* why's place and level, then the small fields: together, no padding */
    uint32_t why_pos;
    unsigned char why_level;      /* enum cz_level */
    unsigned char state;          /* enum svc_state */
    signed char proxy;            /* -1 not judged yet, else 0 or 1 */
    unsigned base_done : 1;       /* base_image was looked for */
    unsigned built : 1;           /* has build: */
    unsigned have_cfg : 1;        /* its Dockerfile's stage is readable
                                   * (build_config() gives it) */
    unsigned extended : 1;        /* another service extends it */
    const char *base_image;       /* FROM of the stage it builds, or NULL */
    const char *evidence;         /* why it may be replicated */
    const char *health;           /* its healthcheck, said, or NULL */
};

/* What a rule, the environment or the command says a service is
 * (replicas_evidence.c). */
struct rp_kind {
    enum cz_rule_kind kind;       /* CZ_KIND_NONE: nothing said */
    int stateful;                 /* a rule's `stateful: true` alone */
    const char *how;              /* the evidence, said, in cx->ar */
};

/* The words of one service's command (replicas_evidence.c): one buffer
 * and two arrays, malloc'ed and reused from service to service, since the
 * words are read only while that service is judged (a copy per service
 * in the arena was kept until the transform returned). */
struct rp_words {
    struct cz_buf text;           /* the words, each with its NUL */
    size_t *at;                   /* where each starts in text */
    const char **v;               /* ... as strings, once all are in */
    size_t n, cap, vcap;
};

/* One run of the transform over one compose file. */
struct ctx {
    struct cz_run *run;
    struct cz_model *model;
    struct cz_report *rep;
    struct cz_error *err;
    struct cz_doc *doc;
    struct cz_arena ar;           /* strings of this run */
    struct svc_info *info;        /* one per model->svcs[] */
    size_t ninfo;
    int rc;                       /* first error (sticky) */
    /* cz_rp_image_kind's answers by image, in ar: thousands of services
     * run the same few images */
    struct cz_strmap kind_by_image;   /* image -> index in kinds */
    struct rp_kind *kinds;
    size_t nkinds, capkinds;
    struct rp_words words;        /* cz_rp_command_kind's scratch */
    /* cz_rp_printf's texts, each once, in ar */
    struct cz_strmap said_at;     /* text -> index in said */
    const char **said;
    size_t nsaid, capsaid;
};

/* A short-syntax volume: [source:]target[:mode]. */
struct rp_mount {
    char buf[1024];
    const char *source;   /* NULL for an anonymous volume */
    const char *target;
    const char *mode;     /* "" when none */
};

/* ---- small helpers ------------------------------------------------------ */

static inline const char *sval(struct cz_node *node)
{
    node = cz_node_resolve(node);
    return node && node->kind == CZ_NODE_SCALAR ? node->value : NULL;
}

static inline int is_kind(struct cz_node *node, enum cz_node_kind kind)
{
    node = cz_node_resolve(node);
    return node && node->kind == kind;
}

static inline uint32_t at(const struct cz_node *node)
{
    return node && CZ_SPAN_VALID(node->span) ? node->span.start : CZ_NOPOS;
}

/* Where a finding about node of si goes: node, when it is in this file's
 * original text, else the service's name. */
static inline uint32_t at_in(struct ctx *cx, struct svc_info *si,
                             struct cz_doc *doc, const struct cz_node *node)
{
    return doc == cx->doc && at(node) != CZ_NOPOS ? at(node)
                                                  : at(si->svc->key);
}

static inline void fail(struct ctx *cx, int rc)
{
    if (!cx->rc)
        cx->rc = rc;
}

/* What few services have, for reading: all NULL when si has none. */
static inline const struct rp_rare *rare_of(const struct svc_info *si)
{
    static const struct rp_rare none;

    return si->rare ? si->rare : &none;
}

static inline int image_parse(const char *image, struct cz_imageref *ref)
{
    struct cz_error err = {0};

    return image && !cz_image_parse(image, ref, &err);
}

/* ---- replicas.c --------------------------------------------------------- */

/*
 * Marks si as not replicated; the finding waits for its turn in pass 3.
 * fmt is a string literal whose arguments (1 to RP_WHY_ARGS) are all
 * strings: a macro, so that the literal and the arguments are kept as
 * they are (struct rp_why). The array's type rejects a number, its size
 * more arguments than kept, and the unevaluated printf checks fmt against
 * them.
 */
#define cz_rp_skip(cx, si, level, pos, rule, fmt, ...)                      \
    ((void)sizeof(printf((fmt), __VA_ARGS__)),                             \
     cz_rp_skip_said((cx), (si), (level), (pos), (rule),                   \
                     CZ_IS_LITERAL(fmt), (fmt),                            \
                     (const char *const[RP_WHY_ARGS]){__VA_ARGS__}))
void cz_rp_skip_said(struct ctx *cx, struct svc_info *si, enum cz_level level,
                     uint32_t pos, const char *rule, int literal,
                     const char *fmt, const char *const *args);

/* si->rare, made (in cx->ar) when missing, for setting one of its
 * fields; NULL with cx->rc set on ENOMEM. */
struct rp_rare *cz_rp_rare(struct ctx *cx, struct svc_info *si);

/* A formatted string in cx->ar, or NULL with cx->rc set. Equal texts are
 * one copy: thousands of services get the same few ("a stateless server
 * by rule 'nginx'"), which a copy each kept until the transform returned. */
const char *cz_rp_printf(struct ctx *cx, const char *fmt, ...)
    CZ_PRINTF(2, 3);

/* Adds a finding to the report (cx->rc is CZ_ENOMEM when that fails).
 * A macro, not a function taking a va_list, so that cz_report_add sees
 * the string literal: the report keeps a pointer to it and a packed copy
 * of the arguments, not the text. cx is evaluated more than once. */
#define cz_rp_note(cx, level, pos, rule, ...)                               \
    (cz_report_add((cx)->rep, (level), cz_doc_source((cx)->doc), (pos),    \
                   (rule), __VA_ARGS__) ? fail((cx), CZ_ENOMEM) : (void)0)

/* s interpolated (cz_model_expand()): *unknown is set when a variable has
 * no value, and the copy then has nothing in its place. NULL only on
 * ENOMEM (cx->rc set). */
const char *cz_rp_expand(struct ctx *cx, const char *s, int *unknown);

/* The effective value at path (n keys: deploy, update_config, ...) for
 * svc, through merge keys and then its `extends` chain. Fills out and
 * returns 1 when found, 0 when not. */
int cz_rp_svc_get(struct cz_service *svc, const char *const *path, size_t n,
                  struct cz_value *out);

static inline int svc_get1(struct cz_service *svc, const char *key,
                           struct cz_value *out)
{
    return cz_rp_svc_get(svc, &key, 1, out);
}

/* What a service runs from: the base of the stage it builds, else its
 * image, interpolated (*unknown as for cz_rp_expand()); NULL when neither
 * is known. */
const char *cz_rp_svc_runs(struct ctx *cx, struct svc_info *si,
                           int *unknown);

/* The first service other than self whose configuration holds node (of
 * those not replicated, when skipped_only), or NULL. */
const char *cz_rp_other_user(struct ctx *cx, struct svc_info *self,
                             const struct cz_node *node, int skipped_only);

/* A fresh scalar (a plain token when plain, else a string), or NULL with
 * cx->rc set. */
struct cz_node *cz_rp_new_scalar(struct ctx *cx, const char *s, int plain);

/* The host path that a volumes item (alias followed) binds: a short-syntax
 * source that is a host path (pointing into m), or the source of a
 * long-syntax bind; NULL for anything else. */
const char *cz_rp_bind_source(struct cz_node *item, struct rp_mount *m);

/* ---- replicas_ports.c --------------------------------------------------- */

/* Whether si is a reverse proxy (nginx, traefik, ... by image or by the
 * base image of the Dockerfile it builds). */
int cz_rp_is_proxy(struct ctx *cx, struct svc_info *si);

/* Whether the fixed host ports of si keep it to one instance: with
 * --ports=keep any fixed port does, with --ports=expose one that no
 * reverse proxy of the file routes to, or that the proxy itself
 * publishes. Under the Swarm target the routing mesh shares a published
 * port among replicas, and none does. Calls cz_rp_skip() and returns 1
 * when they do; else notes the proxy in si->front. */
int cz_rp_ports_block(struct ctx *cx, struct svc_info *si);

/* --ports=expose: moves the fixed host ports of si, which runs more than
 * one replica behind si->front, to expose:. Failures go to cx->rc. */
void cz_rp_handle_ports(struct ctx *cx, struct svc_info *si);

/* Reads a file, or the files of a folder one level deep, that a service
 * mounts, and calls fn with each text until it returns non-zero; returns
 * that value, or 0. Missing and unreadable files are skipped. */
int cz_rp_read_mounted(struct ctx *cx, const char *path,
                       int (*fn)(void *arg, const char *text, size_t len),
                       void *arg);

/* ---- replicas_evidence.c ------------------------------------------------ */

/* The image as a rule can judge it: image interpolated; when a variable
 * without a value sits only in its tag ("postgres:${TAG}"), the
 * repository alone. NULL when the repository stays unknown. */
const char *cz_rp_image_judged(struct ctx *cx, const char *image);

/* What the rules say image is (its kind, or `stateful`). */
struct rp_kind cz_rp_image_kind(struct ctx *cx, const char *image);

/* What the service's environment says it is: a database or broker server
 * by the variables its image reads to initialise itself. */
struct rp_kind cz_rp_env_kind(struct ctx *cx, struct svc_info *si);

/* What the service runs says it is: compose's entrypoint and command,
 * else the Dockerfile's (df: its stage config, or NULL): a database,
 * broker, store or search server; a job (a migration, a scheduler, a loop
 * with sleep); or a network server (uvicorn, gunicorn, node, java -jar,
 * php-fpm, a binary with EXPOSE). */
struct rp_kind cz_rp_command_kind(struct ctx *cx, struct svc_info *si,
                                  const struct cz_df_config *df);

/* A job or singleton by the service's name (migrate, init, seed, cron,
 * beat, scheduler, cleanup, backup, ...): its word, or NULL. */
const char *cz_rp_job_name(const char *name);

/* Frees the words' scratch (cx->words). */
void cz_rp_words_release(struct rp_words *w);

/* Fills cname, cname_user and cname_how of every service: who refers to
 * its container_name by that name (environment values, command,
 * entrypoint, links, external_links, mounted configuration files). One
 * pass over what the services hold. */
void cz_rp_index_container_names(struct ctx *cx);

#endif
