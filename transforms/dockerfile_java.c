/*
 * dockerfile_java.c - the multi-stage strategy for a single-stage Java
 * image that builds its jar with Maven or Gradle (a maven or gradle
 * image, or a JDK image running mvnw/gradlew): the stage as written
 * becomes the builder, and a runtime stage on the Temurin JRE of the same
 * Java major copies only the jar, to the path it had:
 *
 *   FROM maven:3.9-eclipse-temurin-21 AS build    <- the FROM, named
 *   WORKDIR /build
 *   COPY pom.xml .
 *   RUN mvn -B dependency:go-offline
 *   COPY src ./src
 *   RUN mvn -B package -DskipTests
 *
 *   FROM eclipse-temurin:21-jre                   <- new: the runtime
 *   ENV ... / EXPOSE ... / LABEL ...              <- the stage's
 *   WORKDIR /build
 *   COPY --from=build /build/target/app.jar /build/target/app.jar
 *   RUN groupadd ... && useradd ...               <- dockerfile_user.c
 *   USER 10001:10001
 *   CMD ["java", "-jar", "target/app.jar"]        <- unchanged
 *
 * The jar keeps its path and the WORKDIR stays, so the command, relative
 * paths and a glob in the jar's name (in a `sh -c` script) mean what
 * they meant. It applies only on evidence: a Maven or Gradle build that
 * writes a jar (package, install, verify; build, jar, bootJar, assemble,
 * shadowJar), the Java major read from the base tag with a Temurin JRE
 * for it (the LTS releases), and the jar's path known: the path `java
 * -jar` names, or, for a glob, the <finalName> of pom.xml or the
 * archiveFileName of build.gradle. Nothing the app may read at run time
 * is copied (config, application.yml...), and the probes still run on
 * the JRE image. Else the file stays single-stage with the reason.
 */
#include "dockerfile.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "composure/io.h"

/* Build files of a Maven or Gradle project: not assets. */
static const char *const java_build_files[] = {
    "pom.xml", "build.gradle*", "settings.gradle*", "gradle.properties",
    "mvnw*", "gradlew*", ".mvn", "gradle", "src", "settings.xml",
    "lombok.config", "*.java", "*.kt", NULL};

/* Java releases with a Temurin JRE image (the LTS ones). */
static const unsigned jre_releases[] = {8, 11, 17, 21, 25};

/* Goals and tasks that write the project's jar. */
static const char *const maven_goals[] = {"package", "install", "verify",
                                          "deploy", NULL};
static const char *const gradle_tasks[] = {"build", "jar", "bootJar",
                                           "assemble", "shadowJar", NULL};

enum tool { TOOL_NONE, TOOL_MAVEN, TOOL_GRADLE };

/* Whether s (or its part after ':', a plugin goal or project task) is
 * in list. */
static int is_goal(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0 ||
            (strchr(s, ':') && strcmp(strrchr(s, ':') + 1, *list) == 0))
            return 1;
    return 0;
}

/* The build tool a command runs: mvn, mvnw, gradle, gradlew. */
static enum tool tool_of(const char *cmd)
{
    const char *base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;

    if (strcmp(base, "mvn") == 0 || strcmp(base, "mvnw") == 0)
        return TOOL_MAVEN;
    if (strcmp(base, "gradle") == 0 || strcmp(base, "gradlew") == 0)
        return TOOL_GRADLE;
    return TOOL_NONE;
}

/* The RUN that builds the jar and its tool; the reason when none. */
static const char *find_build(struct dx *dx, struct df_file *f,
                              const struct cz_df_stage *st, enum tool *tool,
                              const char **dir)
{
    struct dx_cursor c = {0};
    const struct cz_df_instr *in;
    uint32_t k;

    while ((in = cz_dx_stage_command(f, st, &c))) {
        enum tool tl = tool_of(in->words[c.first].text);
        for (k = c.first + 1; tl != TOOL_NONE && k < c.end; k++) {
            const char *w = in->words[k].text;
            if (strcmp(w, "-f") == 0 || strcmp(w, "--file") == 0 ||
                strcmp(w, "-p") == 0 || strcmp(w, "--project-dir") == 0)
                return "its build names another project folder or POM";
            if (w[0] == '-' ||
                !is_goal(w, tl == TOOL_MAVEN ? maven_goals : gradle_tasks))
                continue;
            if (*tool != TOOL_NONE)
                return "it builds more than once";
            *tool = tl;
            *dir = cz_dx_workdir_at(dx, f->df, st, in->index);
            break;
        }
    }
    return *tool == TOOL_NONE ? "it builds no jar in the image (no Maven "
                                "or Gradle build; the jar comes from the "
                                "build context)"
                              : NULL;
}

/* The Java major of a JDK image tag: maven "3.9-eclipse-temurin-21",
 * gradle "8.5-jdk21", eclipse-temurin/openjdk/amazoncorretto "21-jdk";
 * 0 when the tag does not say. */
CZ_TESTABLE unsigned java_major(const char *name, const char *tag)
{
    static const char *const marks[] = {"temurin-", "openjdk-", "jdk-",
                                        "corretto-", "sapmachine-",
                                        "jdk", NULL};
    size_t i;

    if (strcmp(name, "maven") != 0 && strcmp(name, "gradle") != 0)
        return (unsigned)strtoul(tag, NULL, 10);
    for (i = 0; marks[i]; i++) {
        const char *m = strstr(tag, marks[i]);
        if (m && m[strlen(marks[i])] >= '1' && m[strlen(marks[i])] <= '9')
            return (unsigned)strtoul(m + strlen(marks[i]), NULL, 10);
    }
    return 0;
}

/* The only value between open and close in the file at path, NULL when
 * there is none, several, or one with variables. */
static const char *only_value(struct dx *dx, const char *path,
                              const char *open, const char *close)
{
    struct cz_source *src = NULL;
    struct cz_error err = {0};
    const char *text, *p, *value = NULL;
    int n = 0;

    if (cz_io_read(path, 1 << 22, &src, &err))
        return NULL;
    text = cz_arena_strndup(&dx->ar, src->bytes, src->len);
    cz_source_free(src);
    for (p = text; p && (p = strstr(p, open)); p += strlen(open), n++) {
        const char *v = p + strlen(open), *e = strpbrk(v, close);
        if (!e)
            return NULL;
        value = cz_arena_strndup(&dx->ar, v, (size_t)(e - v));
    }
    return n == 1 && value && *value && !strchr(value, '$') ? value : NULL;
}

/* The jar's file name from the build files of the context: Maven
 * <finalName>, Gradle archiveFileName. */
static const char *declared_jar(struct dx *dx, const struct df_file *f,
                                enum tool tool)
{
    const char *ctx = f->context ? f->context : ".", *name;

    if (tool == TOOL_MAVEN) {
        name = only_value(dx, cz_dx_printf(dx, "%s/pom.xml", ctx) ?: "",
                          "<finalName>", "<");
        return name ? cz_dx_printf(dx, "target/%s.jar", name) : NULL;
    }
    name = only_value(dx, cz_dx_printf(dx, "%s/build.gradle", ctx) ?: "",
                      "archiveFileName = '", "'");
    if (!name)
        name = only_value(dx, cz_dx_printf(dx, "%s/build.gradle", ctx) ?: "",
                          "archiveFileName = \"", "\"");
    if (!name)
        name = only_value(dx, cz_dx_printf(dx, "%s/build.gradle.kts", ctx)
                                  ?: "",
                          "archiveFileName.set(\"", "\"");
    return name ? cz_dx_printf(dx, "build/libs/%s", name) : NULL;
}

/* The word after `-jar` in the container's command (a `sh -c` script cut
 * at blanks), or NULL. */
static const char *jar_word(struct dx *dx, const struct cz_df_config *cfg)
{
    const struct cz_df_instr *ins[2] = {cfg->entrypoint, cfg->cmd};
    size_t i;
    uint32_t k;

    for (i = 0; i < 2; i++)
        for (k = 0; ins[i] && k < ins[i]->nwords; k++) {
            const char *p = strstr(ins[i]->words[k].text, "-jar");
            if (!p || (p[4] && p[4] != ' '))
                continue;
            if (!p[4])
                return k + 1 < ins[i]->nwords ? ins[i]->words[k + 1].text
                                              : NULL;
            p += 4 + strspn(p + 4, " ");
            return cz_arena_strndup(&dx->ar, p, strcspn(p, " ;&|"));
        }
    return NULL;
}

/* The jar to copy (absolute), from the command and the build files; the
 * reason when it is not known. */
static const char *find_jar(struct dx *dx, const struct df_file *f,
                            const struct cz_df_config *cfg, enum tool tool,
                            const char *dir, const char **jar,
                            const char **word)
{
    const char *out = tool == TOOL_MAVEN ? "target" : "build/libs";
    const char *run = cfg->workdir ? cfg->workdir : "/", *named;
    size_t n;

    if (!(*word = jar_word(dx, cfg)) || !**word)
        return "its command runs no `java -jar FILE`";
    if (strchr(*word, '$'))
        return "its jar path uses variables";
    out = cz_dx_path(dx, dir, out);
    n = strlen(out);
    *jar = cz_dx_path(dx, run, *word);
    if (strncmp(*jar, out, n) != 0 || (*jar)[n] != '/')
        return cz_dx_printf(dx, "its jar '%s' is not one the build writes "
                            "in %s", *word, out);
    if (!strpbrk(*jar, "*?["))
        return NULL;
    if (!(named = declared_jar(dx, f, tool)))
        return cz_dx_printf(dx, "its command runs '%s', and the build files "
                            "name no jar (%s)", *word,
                            tool == TOOL_MAVEN ? "<finalName> in pom.xml"
                                               : "archiveFileName in "
                                                 "build.gradle");
    named = cz_dx_path(dx, dir, named);
    if (fnmatch(*jar, named, FNM_PATHNAME) != 0)
        return cz_dx_printf(dx, "its command runs '%s', which the declared "
                            "jar %s does not match", *word, named);
    *jar = named;
    return NULL;
}

/* The Temurin JRE image for b; the reason when there is none. */
static const char *jre_image(struct dx *dx, const struct df_base *b,
                             const char **image)
{
    unsigned major = java_major(b->name, b->ref.tag);
    size_t i;

    if (!major)
        return cz_dx_printf(dx, "the Java version cannot be read from the "
                            "tag '%s'", *b->ref.tag ? b->ref.tag : "latest");
    if (strstr(b->ref.tag, "jre"))
        return "its base is a JRE already";
    for (i = 0; i < sizeof(jre_releases) / sizeof(jre_releases[0]); i++)
        if (jre_releases[i] == major) {
            *image = cz_dx_printf(dx, "eclipse-temurin:%u-jre%s", major,
                                  b->family == DF_FAMILY_ALPINE ? "-alpine"
                                                                : "");
            return NULL;
        }
    return cz_dx_printf(dx, "Java %u has no Temurin JRE image (the LTS "
                        "releases have)", major);
}

/* The build tool the container's command runs (`mvn spring-boot:run`,
 * `./gradlew bootRun`, also in a `sh -c`), or NULL. */
static const char *runs_build_tool(struct dx *dx,
                                   const struct cz_df_config *cfg)
{
    const char **toks = cz_dx_command_tokens(dx, cfg);

    for (; toks && *toks; toks++)
        if (tool_of(*toks) != TOOL_NONE)
            return *toks;
    return NULL;
}

int cz_dx_java(struct dx *dx, struct df_file *f, struct df_target *t,
               const struct cz_df_config *cfg, const struct df_base *b)
{
    static const char *const names[] = {"maven", "gradle", "eclipse-temurin",
                                        "openjdk", "amazoncorretto", NULL};
    const struct cz_df_stage *st = &f->df->stages[t->stage];
    const char *why = NULL, *dir = NULL, *jar = NULL, *word = NULL;
    const char *image = NULL, *run;
    enum tool tool = TOOL_NONE;
    size_t i;

    for (i = 0; names[i] && strcmp(b->name, names[i]) != 0; i++)
        ;
    if (!names[i])
        return CZ_OK;
    if ((run = runs_build_tool(dx, cfg)))
        return cz_dx_keep_root(dx, f, t, "dockerfile.java-run", run,
                               "the JDK, the sources and the build's "
                               "caches",
                               "build the jar in the image and run it with "
                               "`java -jar`, then run again");
    if (f->df->nstages != 1)
        return cz_dx_multi_stage(dx, f, t);
    if (b->family == DF_FAMILY_UNKNOWN)
        why = "not a Linux JDK image";
    if (!why)
        why = find_build(dx, f, st, &tool, &dir);
    if (!why)
        why = jre_image(dx, b, &image);
    if (!why)
        why = find_jar(dx, f, cfg, tool, dir, &jar, &word);
    if (!why)
        why = cz_dx_artifact_blocker(dx, f, t);
    if (!why)
        why = cz_dx_runtime_file(dx, f, t, cfg, dir, java_build_files, word);
    if (!why)
        why = cz_dx_runtime_probe(dx, f, t, cfg, image, NULL);
    if (why)
        return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                             st->from->span.start, "dockerfile.single-stage",
                             "%s: kept single-stage: %s", t->names, why);
    if (cz_dx_artifact_stage(dx, f, t, image,
                             cfg->workdir && strcmp(cfg->workdir, "/")
                                 ? cfg->workdir : NULL,
                             jar, jar))
        return CZ_ENOMEM;
    return cz_report_add(dx->rep, CZ_LEVEL_INFO, f->df->src,
                         st->from->span.start, "dockerfile.java",
                         "%s: multi-stage: the stage builds %s with %s; the "
                         "runtime on '%s' copies only the jar, to the same "
                         "path", t->names, jar,
                         tool == TOOL_MAVEN ? "Maven" : "Gradle", image);
}
