/*
 * composure/dockerfile.h - a Dockerfile parsed with the place of every part
 * kept, the stages it builds, and what the last stage ends up with.
 *
 * The parser follows BuildKit's frontend (moby/buildkit,
 * frontend/dockerfile/parser/parser.go and line_parsers.go): parser
 * directives at the top, the escape character at the end of a line
 * continues it, comment lines and empty lines inside a continuation are
 * skipped, RUN/COPY/ADD read heredocs, and CMD, ENTRYPOINT, RUN, SHELL,
 * COPY, ADD, VOLUME and HEALTHCHECK CMD take a JSON string array (exec
 * form) or fall back to shell form.
 *
 * Places are byte spans into the source (struct cz_span). An instruction's
 * arguments are also kept as one logical line (continuations joined, comment
 * lines dropped) because that is what Docker reads; every word cut from the
 * logical line still knows its span in the source, so a caller can replace
 * exactly the bytes of an image reference with cz_splice() and keep every
 * other byte.
 *
 * Ownership: a struct cz_dockerfile borrows its cz_source, which must
 * outlive it; every instruction, stage, word and string reachable from it
 * (and from the structs its queries fill) belongs to its arena and lives
 * until cz_dockerfile_free(). Queries allocate in that arena on each call.
 *
 * Cost: parsing is linear in the file. A query on a stage walks the stage
 * and the stages it is built on once.
 */
#ifndef COMPOSURE_DOCKERFILE_H
#define COMPOSURE_DOCKERFILE_H

#include "composure/base.h"

enum cz_df_kind {
    CZ_DF_UNKNOWN,      /* a keyword Docker does not know (it fails there) */
    CZ_DF_ADD,
    CZ_DF_ARG,
    CZ_DF_CMD,
    CZ_DF_COPY,
    CZ_DF_ENTRYPOINT,
    CZ_DF_ENV,
    CZ_DF_EXPOSE,
    CZ_DF_FROM,
    CZ_DF_HEALTHCHECK,
    CZ_DF_LABEL,
    CZ_DF_MAINTAINER,
    CZ_DF_ONBUILD,
    CZ_DF_RUN,
    CZ_DF_SHELL,
    CZ_DF_STOPSIGNAL,
    CZ_DF_USER,
    CZ_DF_VOLUME,
    CZ_DF_WORKDIR
};

/* How the arguments were written; JSON-capable instructions only. */
enum cz_df_form {
    CZ_DF_FORM_NONE,    /* an instruction without exec form, or no args */
    CZ_DF_FORM_SHELL,   /* plain text, run with the SHELL */
    CZ_DF_FORM_EXEC     /* a JSON array of strings */
};

enum cz_df_instr_attrs {
    CZ_DF_INSTR_UNKNOWN = 1 << 0,    /* kind is CZ_DF_UNKNOWN */
    CZ_DF_INSTR_EMPTY_LINE = 1 << 1, /* an empty line inside a continuation
                                      * (Docker warns, will reject) */
    CZ_DF_INSTR_OPEN = 1 << 2        /* the file ended inside a continuation */
};

enum cz_df_flags {
    CZ_DF_BOM = 1 << 0,          /* the file starts with a UTF-8 BOM */
    CZ_DF_CRLF = 1 << 1,         /* its first line ends in CR LF */
    CZ_DF_HAS_UNKNOWN = 1 << 2,  /* some instruction is CZ_DF_UNKNOWN */
    CZ_DF_ESCAPE_SET = 1 << 3    /* a `# escape=` directive is given */
};

/*
 * One word of an instruction. Shell form: cut at unquoted white space, with
 * quotes and escapes removed in text. Exec form: one string of the JSON
 * array, decoded; raw and span are the JSON literal with its quotes.
 */
struct cz_df_word {
    const char *text;       /* decoded */
    const char *raw;        /* as written, continuations joined */
    struct cz_span span;    /* raw's bytes in the source (a word cut by a
                             * continuation spans the line break) */
};

/* One key[=value] of a comma-separated flag value (BuildKit reads
 * --mount, --secret and the like as one CSV record). */
struct cz_df_field {
    const char *key;          /* as written: "from" */
    const char *value;        /* NULL for a bare key such as "readonly" */
    struct cz_span span;      /* value's bytes in the source */
};

/* A leading `--name=value` (or bare `--name`) of any instruction. */
struct cz_df_flag {
    const char *name;         /* without the dashes: "from", "mount" */
    const char *value;        /* quotes removed; NULL for a bare --name */
    struct cz_span span;      /* the whole word "--from=build" */
    struct cz_span value_span; /* after '=', quotes included; CZ_NOSPAN when
                                * bare */
    struct cz_df_field *fields; /* value cut at commas, when it has a '=' */
    uint32_t nfields;
};

/* A here-document of RUN, COPY or ADD: `<<EOF`, `<<-EOF`, `<<'EOF'`. */
struct cz_df_heredoc {
    const char *name;         /* the terminator, quotes removed */
    const char *content;      /* the body as Docker uses it: its lines with
                               * their own line ends, leading tabs removed
                               * for <<- */
    struct cz_span word;      /* "<<-'EOF'" in the instruction line */
    struct cz_span body;      /* first body line up to the terminator line */
    struct cz_span terminator; /* the terminator line, without line end */
    unsigned fd;              /* 3 for "3<<EOF", else 0 */
    uint8_t chomp;            /* written <<- */
    uint8_t expand;           /* name unquoted: Docker expands $VAR in it */
};

struct cz_df_instr {
    uint8_t kind;             /* enum cz_df_kind */
    uint8_t form;             /* enum cz_df_form */
    uint16_t attrs;           /* enum cz_df_instr_attrs */
    uint32_t index;           /* position in df->instrs */
    int stage;                /* its stage's index; -1 before the first FROM */
    const char *keyword;      /* upper-cased: "RUN" */
    struct cz_span span;      /* keyword through the last continuation line,
                               * or through the last heredoc terminator;
                               * the final line end is outside */
    struct cz_span keyword_span;
    struct cz_span args_span; /* the arguments after the flags; CZ_NOSPAN
                               * when there are none */
    const char *text;         /* the arguments after the flags as one
                               * logical line, trimmed */
    struct cz_df_flag *flags;
    uint32_t nflags;
    /*
     * The arguments cut into words (see struct cz_df_word). HEALTHCHECK:
     * words[0] is CMD or NONE and form tells how the rest was written.
     * ONBUILD: the trigger instruction's words, shell-split.
     */
    struct cz_df_word *words;
    uint32_t nwords;
    struct cz_df_heredoc *heredocs;
    uint32_t nheredocs;
};

struct cz_df_stage {
    uint32_t index;
    const struct cz_df_instr *from;
    const char *image;          /* the FROM word as written: "${BASE}" */
    struct cz_span image_span;
    const char *image_expanded; /* quotes removed, global ARGs substituted */
    int image_unresolved;       /* a variable in it had no value */
    const char *platform;       /* --platform, not expanded, or NULL */
    const char *name;           /* AS name as written, or NULL */
    struct cz_span name_span;
    int base;                   /* index of the earlier stage the FROM names
                                 * (case-insensitive), or -1 for an image */
    uint32_t first, count;      /* df->instrs[first .. first + count), FROM
                                 * first */
};

/* An ARG before the first FROM: visible in every FROM line. */
struct cz_df_arg {
    const char *name;
    const char *value;          /* build arg, else default expanded; NULL
                                 * when neither */
    const char *raw;            /* default as written, or NULL */
    struct cz_span value_span;  /* raw's bytes; CZ_NOSPAN when no default */
    const struct cz_df_instr *instr;
};

struct cz_dockerfile {
    struct cz_source *src;      /* borrowed */
    struct cz_arena ar;
    unsigned flags;             /* enum cz_df_flags */
    char escape;                /* '\\' or '`' */
    const char *syntax;         /* "# syntax=" value, or NULL */
    uint32_t start;             /* first byte after the BOM */
    struct cz_df_instr *instrs;
    size_t ninstrs;
    struct cz_df_stage *stages;
    size_t nstages;
    struct cz_df_arg *args;     /* global ARGs, in file order */
    size_t nargs;
    /* Build arguments from cz_dockerfile_set_build_args(). */
    const char **bargs_names, **bargs_values;
    size_t nbargs;
};

/*
 * cz_dockerfile_parse() - parses src into a new *out.
 * @src: the Dockerfile; borrowed, must outlive *out
 * @out: receives the parsed file, freed with cz_dockerfile_free()
 * @err: filled on failure
 *
 * An empty file (or one with only comments) parses to no instructions.
 * Unknown instructions are kept as CZ_DF_UNKNOWN (Docker fails on them when
 * it builds). Returns CZ_OK; CZ_EINPUT with rule "dockerfile.syntax" and the
 * place for an unterminated heredoc, a bad or repeated parser directive, a
 * JSON array holding something other than strings, an instruction without
 * its required arguments (all but CMD and ENTRYPOINT need some), a FROM not
 * of the form `image [AS name]`, a SHELL not in JSON form, a blank ARG
 * name, or an instruction other than ARG before the first FROM; CZ_ENOMEM.
 */
CZ_API int cz_dockerfile_parse(struct cz_source *src,
                               struct cz_dockerfile **out,
                               struct cz_error *err);

/* Frees df and everything reachable from it. NULL does nothing. */
CZ_API void cz_dockerfile_free(struct cz_dockerfile *df);

/*
 * cz_dockerfile_set_build_args() - sets build arguments (compose's
 * build.args), which override the defaults of the ARGs they name, global
 * or in a stage, and resolves the stages again. Replaces earlier build
 * args; a NULL value is skipped. The strings are copied.
 * Returns CZ_OK or CZ_ENOMEM.
 */
CZ_API int cz_dockerfile_set_build_args(struct cz_dockerfile *df,
                                        const char *const *names,
                                        const char *const *values, size_t n);

/* The last stage (the one `docker build` builds), or NULL without FROM. */
CZ_API const struct cz_df_stage *
cz_dockerfile_final_stage(const struct cz_dockerfile *df);

/*
 * cz_dockerfile_stage_ref() - the stage among the first @before stages
 * that @name refers to: a stage name compared case-insensitively (the last
 * such stage), or a stage index written in decimal, as COPY --from allows.
 * Returns NULL when name is an image.
 */
CZ_API const struct cz_df_stage *
cz_dockerfile_stage_ref(const struct cz_dockerfile *df, const char *name,
                        size_t before);

/*
 * cz_dockerfile_stage_root() - follows FROM <stage> links back to the stage
 * whose FROM names an image: for `FROM builder AS final`, builder's stage.
 */
CZ_API const struct cz_df_stage *
cz_dockerfile_stage_root(const struct cz_dockerfile *df,
                         const struct cz_df_stage *stage);

/*
 * cz_dockerfile_expand() - substitutes variables in text the way Docker
 * does for the instruction @at: $NAME, ${NAME}, ${NAME:-word},
 * ${NAME-word}, ${NAME:+word}, ${NAME+word}, ${NAME:?word}, ${NAME?word};
 * quotes are removed (nothing is expanded inside '...') and the escape
 * character escapes the next character.
 * @at: NULL or a FROM: the global ARGs; an instruction before the first
 *      FROM: the global ARGs before it; otherwise the ARGs and ENVs set
 *      before @at in its stage and the ENVs of the stages it is built on
 * @unresolved: when not NULL, set to 1 if a variable had no value (it
 *      expands to nothing, as in Docker, or to its text for an unsupported
 *      ${NAME%...} form), else 0
 * Returns a string in df's arena, or NULL on ENOMEM.
 */
CZ_API const char *cz_dockerfile_expand(struct cz_dockerfile *df,
                                        const struct cz_df_instr *at,
                                        const char *text, int *unresolved);

/* An EXPOSE entry: "8000", "8000/tcp", "53/udp", "8000-8010". */
struct cz_df_port {
    uint32_t port, last;        /* last == port unless a range */
    const char *proto;          /* "tcp", "udp" or "sctp" */
    const struct cz_df_instr *instr;
};

/* An ENV in effect at the end of the stage. */
struct cz_df_env {
    const char *name;
    const char *value;          /* expanded */
    const struct cz_df_instr *instr;   /* the ENV that set it last */
};

/* A COPY or ADD of the stage or of a stage it is built on. */
struct cz_df_copy {
    const struct cz_df_instr *instr;
    const char *dest;           /* expanded, absolute, cleaned ("/app") */
    int dest_is_dir;            /* written with a trailing '/', ".", or
                                 * with several sources */
    const char *from;           /* --from, expanded; NULL when absent */
    int from_stage;             /* the stage --from names, or -1 */
};

/*
 * What a stage's image config ends up with, as far as the Dockerfile tells:
 * instructions of the stage and of the stages it is built on (FROM <stage>),
 * in build order. The base image's own config is not known here: workdir,
 * user, cmd, entrypoint and healthcheck are NULL when the Dockerfile does
 * not set them.
 */
struct cz_df_config {
    const struct cz_df_stage *stage;
    const struct cz_df_stage *root;    /* see cz_dockerfile_stage_root() */
    const char *base_image;            /* root's image, expanded */
    int base_unresolved;
    const char *workdir;               /* absolute and cleaned, or NULL */
    const char *user;                  /* last USER, expanded, or NULL */
    const struct cz_df_instr *cmd;     /* last CMD; NULL also when an
                                        * ENTRYPOINT in a later stage of the
                                        * chain reset it, as Docker does */
    const struct cz_df_instr *entrypoint;
    const struct cz_df_instr *healthcheck; /* last HEALTHCHECK */
    int healthcheck_none;              /* ... and it is HEALTHCHECK NONE */
    struct cz_df_port *ports;          /* EXPOSE entries, in file order */
    size_t nports;
    size_t ports_invalid;              /* EXPOSE words not understood */
    struct cz_df_env *env;             /* in first-set order */
    size_t nenv;
    struct cz_df_copy *copies;         /* in file order */
    size_t ncopies;
};

/*
 * cz_dockerfile_config() - fills cfg for @stage (NULL: the final stage).
 * Relative WORKDIRs and COPY/ADD destinations resolve against the WORKDIR
 * in effect ("/" when none). Returns CZ_OK, CZ_EINPUT (rule
 * "dockerfile.stage") when the file has no stage, or CZ_ENOMEM.
 */
CZ_API int cz_dockerfile_config(struct cz_dockerfile *df,
                                const struct cz_df_stage *stage,
                                struct cz_df_config *cfg,
                                struct cz_error *err);

/*
 * cz_dockerfile_installs() - whether a RUN of @stage (NULL: the final
 * stage) or of a stage it is built on installs @package with apt-get, apt,
 * apk, yum, dnf or microdnf ("install"; apk "add"). Versioned names count
 * (curl=8.5.0-1, curl:amd64, curl~8, curl-7.61.1 for yum and dnf). Looks
 * into shell-form and exec-form RUNs, `sh -c '...'`, and a RUN <<EOF
 * script; skips options and their arguments (-o x, --virtual .deps).
 * Returns 1 or 0.
 */
CZ_API int cz_dockerfile_installs(const struct cz_dockerfile *df,
                                  const struct cz_df_stage *stage,
                                  const char *package);

enum cz_df_ref_kind {
    CZ_DF_REF_FROM,             /* FROM <ref> */
    CZ_DF_REF_COPY_FROM,        /* COPY --from=<ref> (also ADD) */
    CZ_DF_REF_MOUNT_FROM        /* RUN --mount=...,from=<ref>,... */
};

/* A place where the file names an image or a stage. */
struct cz_df_ref {
    uint8_t kind;               /* enum cz_df_ref_kind */
    const struct cz_df_instr *instr;
    const char *text;           /* the source bytes of span */
    struct cz_span span;        /* what to replace to change the reference;
                                 * a --from value includes its quotes */
    const char *expanded;       /* quotes removed, variables substituted */
    int unresolved;             /* a variable had no value */
    int stage;                  /* the stage it names, or -1 for an image
                                 * ("scratch" included) */
};

/*
 * cz_dockerfile_refs() - every image or stage reference, in file order, for
 * a pinning pass that rewrites image references in place.
 * Returns CZ_OK or CZ_ENOMEM.
 */
CZ_API int cz_dockerfile_refs(struct cz_dockerfile *df,
                              struct cz_df_ref **refs, size_t *n,
                              struct cz_error *err);

/* The first flag of instr named name ("from"), or NULL. */
CZ_API const struct cz_df_flag *
cz_df_instr_flag(const struct cz_df_instr *instr, const char *name);

/* The field of flag named key (case-insensitive, as BuildKit compares
 * them), e.g. "from" in --mount=type=cache,from=img,target=/x; or NULL. */
CZ_API const struct cz_df_field *
cz_df_flag_field(const struct cz_df_flag *flag, const char *key);

/* Replace the bytes of span by text[0..len); an empty span inserts. */
struct cz_splice_edit {
    struct cz_span span;
    const char *text;
    size_t len;
};

/*
 * cz_splice() - appends to out the bytes of src with the edits applied,
 * in time linear in len plus n log n. Edits may come in any order; two
 * insertions at one offset keep their given order, and an insertion at a
 * replaced span's start comes before it.
 * Returns CZ_OK, CZ_EINTERNAL (rule "splice.overlap") when two edits
 * overlap or a span lies outside src, or CZ_ENOMEM; out is unchanged on
 * failure.
 */
CZ_API int cz_splice(const char *src, size_t len,
                     const struct cz_splice_edit *edits, size_t n,
                     struct cz_buf *out, struct cz_error *err);

/* cz_splice() over df's source. */
CZ_API int cz_dockerfile_render(const struct cz_dockerfile *df,
                                const struct cz_splice_edit *edits, size_t n,
                                struct cz_buf *out, struct cz_error *err);

#endif
