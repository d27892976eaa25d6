/* upernet-benchdb report: one self-contained HTML page (inline SVG, no
 * script, no network) over the recorded history, for one machine or a
 * fleet:
 *   - the machine table: each machine's CPU, CPU count, ISA features and
 *     the FMA peak and DRAM bandwidth its latest run measured, with the
 *     colour that marks it in the charts;
 *   - the cross-machine view: per benchmark with a %peak (or %bw) counter,
 *     each machine's latest median in % of its own peak (bandwidth), the
 *     figure that is comparable between machines (times are not);
 *   - a chart per benchmark over the runs, one line per machine: one point
 *     per run holding that benchmark (median real time, a bar from the
 *     fastest to the slowest repetition), oldest left; a point's tooltip
 *     names the machine, run, commit and date. A point ringed red is slower
 *     than the machine's previous point by more than 5%, green faster.
 * Charts are grouped by family (the name up to the first '/'); the peers'
 * figures (tools/bench_peers.py, family "peers") come out the same way. */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/benchdb.h"

struct point {
    long long run_id;
    int machine;
    double med, lo, hi, gflops;
    double share;      /* median %peak, or %bw when the benchmark has no %peak; NAN if neither */
    bool share_is_bw;
};

struct chart {
    char name[256];
    struct point *pts;
    size_t n, cap;
};

struct run_meta {
    long long id;
    int machine;
    char label[64], started[32], kind[16];
};

struct machine {
    char key[512];   /* runs.machine */
    char host[128], cpu_model[128], features[256];
    int cpus;
    long long runs;
    double peak, bandwidth; /* of its latest run that measured them; NAN if none did */
};

/* One colour per machine, in the order of the machine table. */
static const char *const palette[] = {"#345", "#d62", "#28a", "#7a3", "#a4a", "#b92", "#2aa", "#777"};
#define PALETTE_SIZE (sizeof palette / sizeof palette[0])

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double median_sorted(const double *v, size_t n)
{
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Counter `key` of a counters_json text; NAN if absent. */
static double counter(const char *counters_json, const char *key)
{
    json_t *c = json_loads(counters_json ? counters_json : "", 0, NULL);
    json_t *v = json_object_get(c, key);
    const double x = json_is_number(v) ? json_number_value(v) : NAN;
    json_decref(c);
    return x;
}

static void html_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else if (*s == '\'')
            fputs("&#39;", f);
        else
            fputc(*s, f);
    }
}

static const struct run_meta *meta_find(const struct run_meta *m, size_t n, long long id)
{
    for (size_t i = 0; i < n; i++)
        if (m[i].id == id)
            return &m[i];
    return NULL;
}

/* Picks a time unit for a chart whose values reach max_ns. */
static void unit_for(double max_ns, const char **unit, double *scale)
{
    if (max_ns < 1e3)
        *unit = "ns", *scale = 1.0;
    else if (max_ns < 1e6)
        *unit = "us", *scale = 1e3;
    else if (max_ns < 1e9)
        *unit = "ms", *scale = 1e6;
    else
        *unit = "s", *scale = 1e9;
}

static void write_chart(FILE *f, const struct chart *c, const struct run_meta *meta, size_t nmeta,
                        const struct machine *machines, size_t nmachines)
{
    const double W = 520, H = 170, left = 58, right = 10, top = 10, bottom = 24;
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->pts[i].lo < lo)
            lo = c->pts[i].lo;
        if (c->pts[i].hi > hi)
            hi = c->pts[i].hi;
    }
    /* The axis starts at 80% of the fastest time, so a 5% step is visible
     * without exaggerating noise the way a min..max axis would. */
    double y0 = 0.8 * lo, y1 = 1.05 * hi;
    if (!(y1 > y0))
        y1 = y0 + 1.0;
    const char *unit;
    double scale;
    unit_for(hi, &unit, &scale);
    const double pw = W - left - right, ph = H - top - bottom;
    fprintf(f, "<div class=\"chart\"><div class=\"title\">");
    html_escape(f, c->name);
    const struct point *last = &c->pts[c->n - 1];
    char t[32];
    benchdb_format_time(last->med, t, sizeof t);
    fprintf(f, "</div><div class=\"sub\">latest %s", t);
    if (!isnan(last->gflops))
        fprintf(f, ", %.1f GFLOP/s", last->gflops);
    fprintf(f, ", %zu run%s</div>\n", c->n, c->n == 1 ? "" : "s");
    fprintf(f, "<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "xmlns=\"http://www.w3.org/2000/svg\">\n", W, H, W, H);
    /* Axes and 4 grid lines with labels. */
    for (int g = 0; g <= 4; g++) {
        const double v = y0 + (y1 - y0) * g / 4.0;
        const double y = top + ph - ph * g / 4.0;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%.3g %s</text>\n",
                left, y, W - right, y, left - 4, y + 4, v / scale, unit);
    }
    const double dx = c->n > 1 ? pw / (double) (c->n - 1) : 0;
#define X_OF(i) (left + (c->n > 1 ? dx * (double) (i) : pw / 2))
#define Y_OF(v) (top + ph - ph * ((v) - y0) / (y1 - y0))
    /* One line through each machine's medians. */
    for (size_t m = 0; m < nmachines; m++) {
        bool any = false;
        for (size_t i = 0; i < c->n; i++) {
            if (c->pts[i].machine != (int) m)
                continue;
            if (!any)
                fprintf(f, "<polyline class=\"med\" stroke=\"%s\" points=\"", palette[m % PALETTE_SIZE]);
            any = true;
            fprintf(f, "%.1f,%.1f ", X_OF(i), Y_OF(c->pts[i].med));
        }
        if (any)
            fprintf(f, "\"/>\n");
    }
    for (size_t i = 0; i < c->n; i++) {
        const struct point *p = &c->pts[i];
        const struct point *prev = NULL; /* the same machine's previous point */
        for (size_t j = i; j-- > 0 && prev == NULL;)
            if (c->pts[j].machine == p->machine)
                prev = &c->pts[j];
        const char *cls = "pt";
        if (prev != NULL && p->med > 1.05 * prev->med)
            cls = "pt slower";
        else if (prev != NULL && p->med < prev->med / 1.05)
            cls = "pt faster";
        const struct run_meta *m = meta_find(meta, nmeta, p->run_id);
        const char *color = palette[(size_t) p->machine % PALETTE_SIZE];
        char tm[32];
        benchdb_format_time(p->med, tm, sizeof tm);
        fprintf(f, "<g class=\"%s\" fill=\"%s\" stroke=\"%s\"><title>", cls, color, color);
        if (p->machine >= 0 && (size_t) p->machine < nmachines) {
            html_escape(f, machines[p->machine].host);
            fputs(": ", f);
        }
        fprintf(f, "run %lld %s %s%s%s: median %s", p->run_id, m ? m->label : "",
                m ? m->started : "", m && strcmp(m->kind, "bench") ? " " : "",
                m && strcmp(m->kind, "bench") ? m->kind : "", tm);
        if (!isnan(p->gflops))
            fprintf(f, ", %.1f GFLOP/s", p->gflops);
        fprintf(f, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"/></g>\n",
                X_OF(i), Y_OF(p->lo), X_OF(i), Y_OF(p->hi), X_OF(i), Y_OF(p->med));
    }
#undef X_OF
#undef Y_OF
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\">run %lld</text>"
               "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">run %lld</text>\n",
            left, H - 6, c->pts[0].run_id, W - right, H - 6, last->run_id);
    fprintf(f, "</svg></div>\n");
}

static void copy_column(char *dst, size_t size, struct benchdb_stmt *st, int col)
{
    const char *v = benchdb_column_text(st, col);
    snprintf(dst, size, "%s", v ? v : "");
}

/* The runs (and, from them, the machines), oldest first. */
static bool load_runs(struct benchdb *db, struct run_meta **meta, size_t *nmeta,
                      struct machine **machines, size_t *nmachines)
{
    struct benchdb_stmt *st = benchdb_prepare(
        db, "SELECT id, commit_hash, dirty, started, kind, machine, host, cpu_model, num_cpus,"
            " cpu_features, fma_peak_gflops, bandwidth_gbps FROM runs ORDER BY id");
    if (st == NULL)
        return false;
    size_t capmeta = 0, capm = 0;
    *meta = NULL, *machines = NULL, *nmeta = 0, *nmachines = 0;
    int rc;
    while ((rc = benchdb_step(st)) == BENCHDB_ROW) {
        if (*nmeta == capmeta) {
            capmeta = capmeta ? 2 * capmeta : 64;
            *meta = realloc(*meta, capmeta * sizeof **meta);
            if (*meta == NULL)
                abort();
        }
        struct run_meta *m = &(*meta)[(*nmeta)++];
        m->id = benchdb_column_int64(st, 0);
        const char *commit = benchdb_column_text(st, 1);
        snprintf(m->label, sizeof m->label, "%.10s%s", commit && commit[0] ? commit : "unknown",
                 benchdb_column_int64(st, 2) ? "+dirty" : "");
        copy_column(m->started, sizeof m->started, st, 3);
        copy_column(m->kind, sizeof m->kind, st, 4);
        char key[512];
        copy_column(key, sizeof key, st, 5);
        size_t k = 0;
        while (k < *nmachines && strcmp((*machines)[k].key, key) != 0)
            k++;
        if (k == *nmachines) {
            if (*nmachines == capm) {
                capm = capm ? 2 * capm : 8;
                *machines = realloc(*machines, capm * sizeof **machines);
                if (*machines == NULL)
                    abort();
            }
            struct machine *nm = &(*machines)[(*nmachines)++];
            memset(nm, 0, sizeof *nm);
            snprintf(nm->key, sizeof nm->key, "%s", key);
            nm->peak = nm->bandwidth = NAN;
        }
        struct machine *mc = &(*machines)[k];
        m->machine = (int) k;
        mc->runs++;
        /* The latest run describes the machine. */
        copy_column(mc->host, sizeof mc->host, st, 6);
        copy_column(mc->cpu_model, sizeof mc->cpu_model, st, 7);
        mc->cpus = (int) benchdb_column_int64(st, 8);
        if (benchdb_column_text(st, 9) != NULL && benchdb_column_text(st, 9)[0])
            copy_column(mc->features, sizeof mc->features, st, 9);
        if (!benchdb_column_is_null(st, 10))
            mc->peak = benchdb_column_double(st, 10);
        if (!benchdb_column_is_null(st, 11))
            mc->bandwidth = benchdb_column_double(st, 11);
    }
    benchdb_finalize(st);
    return rc == BENCHDB_DONE;
}

static void write_machine_table(FILE *f, const struct machine *machines, size_t n)
{
    fputs("<h2>machines</h2>\n<table><tr><th></th><th>machine</th><th>CPU</th><th>CPUs</th>"
          "<th>ISA features</th><th>FMA peak</th><th>DRAM triad</th><th>runs</th></tr>\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const struct machine *m = &machines[i];
        fprintf(f, "<tr><td><span class=\"sw\" style=\"background:%s\"></span></td><td>",
                palette[i % PALETTE_SIZE]);
        html_escape(f, m->host);
        fputs("</td><td>", f);
        html_escape(f, m->cpu_model);
        fprintf(f, "</td><td class=\"n\">%d</td><td class=\"feat\">", m->cpus);
        html_escape(f, m->features);
        fputs("</td><td class=\"n\">", f);
        if (!isnan(m->peak))
            fprintf(f, "%.1f GFLOP/s", m->peak);
        fputs("</td><td class=\"n\">", f);
        if (!isnan(m->bandwidth))
            fprintf(f, "%.1f GB/s", m->bandwidth);
        fprintf(f, "</td><td class=\"n\">%lld</td></tr>\n", m->runs);
    }
    fputs("</table>\n<p class=\"sub\">FMA peak: the best FP32 FMA rate the machine's latest run "
          "measured (best tier, all threads); DRAM triad: its STREAM-like triad bandwidth, all "
          "threads. Runs are compared only within one machine.</p>\n",
          f);
}

/* Per benchmark with a %peak or %bw counter, each machine's latest median
 * (the last point of that machine in the chart). */
static void write_cross_machine(FILE *f, const struct chart *charts, size_t ncharts,
                                const struct machine *machines, size_t nmachines)
{
    bool header = false;
    for (size_t c = 0; c < ncharts; c++) {
        bool any = false;
        for (size_t i = 0; i < charts[c].n && !any; i++)
            any = !isnan(charts[c].pts[i].share);
        if (!any)
            continue;
        if (!header) {
            fputs("<h2>across machines: % of each machine's own peak</h2>\n<table><tr>"
                  "<th>benchmark</th>",
                  f);
            for (size_t m = 0; m < nmachines; m++) {
                fprintf(f, "<th><span class=\"sw\" style=\"background:%s\"></span> ",
                        palette[m % PALETTE_SIZE]);
                html_escape(f, machines[m].host);
                fputs("</th>", f);
            }
            fputs("</tr>\n", f);
            header = true;
        }
        fputs("<tr><td class=\"title\">", f);
        html_escape(f, charts[c].name);
        fputs("</td>", f);
        for (size_t m = 0; m < nmachines; m++) {
            const struct point *latest = NULL;
            for (size_t i = 0; i < charts[c].n; i++)
                if (charts[c].pts[i].machine == (int) m)
                    latest = &charts[c].pts[i];
            if (latest == NULL || isnan(latest->share))
                fputs("<td></td>", f);
            else
                fprintf(f, "<td class=\"n\">%.1f%s</td>", latest->share,
                        latest->share_is_bw ? "% bw" : "%");
        }
        fputs("</tr>\n", f);
    }
    if (header)
        fputs("</table>\n<p class=\"sub\">%: the kernel's FLOP rate in % of the FMA peak of its "
              "tier and thread count measured in the same run; % bw: its bandwidth in % of the "
              "triad bandwidth of the cache level its data lives in.</p>\n",
              f);
}

/* Every repetition, grouped into (benchmark, run) points. */
static bool load_charts(struct benchdb *db, const struct run_meta *meta, size_t nmeta,
                        struct chart **out, size_t *nout)
{
    struct chart *charts = NULL;
    size_t ncharts = 0, capcharts = 0;
    struct benchdb_stmt *st = benchdb_prepare(
        db, "SELECT name, run_id, real_time_ns, counters_json FROM results"
            " WHERE error IS NULL AND real_time_ns IS NOT NULL ORDER BY name, run_id, repetition");
    if (st == NULL)
        return false;
    double reps[1024], gf[1024], peak[1024], bw[1024];
    size_t nreps = 0;
    char cur_name[256] = "";
    long long cur_run = -1;
    int more = 1, rc = BENCHDB_ROW;
    while (more) {
        rc = benchdb_step(st);
        more = rc == BENCHDB_ROW;
        const char *name = more ? benchdb_column_text(st, 0) : "";
        const long long run = more ? benchdb_column_int64(st, 1) : -2;
        if (nreps > 0 && (run != cur_run || strcmp(name, cur_name) != 0)) {
            if (ncharts == 0 || strcmp(charts[ncharts - 1].name, cur_name) != 0) {
                if (ncharts == capcharts) {
                    capcharts = capcharts ? 2 * capcharts : 64;
                    charts = realloc(charts, capcharts * sizeof *charts);
                    if (charts == NULL)
                        abort();
                }
                memset(&charts[ncharts], 0, sizeof charts[ncharts]);
                snprintf(charts[ncharts].name, sizeof charts[ncharts].name, "%s", cur_name);
                ncharts++;
            }
            struct chart *c = &charts[ncharts - 1];
            if (c->n == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 16;
                c->pts = realloc(c->pts, c->cap * sizeof *c->pts);
                if (c->pts == NULL)
                    abort();
            }
            /* Medians of the counters over the repetitions that have them. */
            double *cols[] = {gf, peak, bw}, meds[3];
            for (int k = 0; k < 3; k++) {
                double v[1024];
                size_t nv = 0;
                for (size_t i = 0; i < nreps; i++)
                    if (!isnan(cols[k][i]))
                        v[nv++] = cols[k][i];
                qsort(v, nv, sizeof *v, cmp_double);
                meds[k] = nv ? median_sorted(v, nv) : NAN;
            }
            qsort(reps, nreps, sizeof *reps, cmp_double);
            const struct run_meta *m = meta_find(meta, nmeta, cur_run);
            c->pts[c->n++] = (struct point){
                cur_run, m ? m->machine : -1, median_sorted(reps, nreps), reps[0], reps[nreps - 1],
                meds[0], isnan(meds[1]) ? meds[2] : meds[1], isnan(meds[1]) && !isnan(meds[2])};
            nreps = 0;
        }
        if (!more)
            break;
        snprintf(cur_name, sizeof cur_name, "%s", name);
        cur_run = run;
        if (nreps < 1024) {
            const char *counters = benchdb_column_text(st, 3);
            reps[nreps] = benchdb_column_double(st, 2);
            gf[nreps] = counter(counters, "GFLOP/s");
            peak[nreps] = counter(counters, "%peak");
            bw[nreps] = counter(counters, "%bw");
            nreps++;
        }
    }
    benchdb_finalize(st);
    *out = charts;
    *nout = ncharts;
    return rc == BENCHDB_DONE;
}

int benchdb_report(struct benchdb *db, int argc, char **argv)
{
    const char *out = "bench-report.html";
    for (int i = 0; i < argc; i += 2) {
        if (i + 1 >= argc) {
            fprintf(stderr, "upernet-benchdb report: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
        else if (strcmp(argv[i], "--db") != 0) {
            fprintf(stderr, "upernet-benchdb report: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    struct run_meta *meta = NULL;
    struct machine *machines = NULL;
    struct chart *charts = NULL;
    size_t nmeta, nmachines, ncharts = 0;
    if (!load_runs(db, &meta, &nmeta, &machines, &nmachines) ||
        !load_charts(db, meta, nmeta, &charts, &ncharts)) {
        fprintf(stderr, "upernet-benchdb report: %s: %s\n", benchdb_name(db), benchdb_errmsg(db));
        free(meta);
        free(machines);
        for (size_t i = 0; i < ncharts; i++)
            free(charts[i].pts);
        free(charts);
        return 1;
    }

    FILE *f = fopen(out, "w");
    if (f == NULL) {
        perror(out);
        return 1;
    }
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>upernet benchmark history"
          "</title>\n<style>\n"
          "body{font-family:sans-serif;margin:1.5em;color:#222}\n"
          "h2{border-bottom:1px solid #ccc;margin-top:1.5em}\n"
          "table{border-collapse:collapse;font-size:13px}td,th{padding:2px 8px;text-align:left}\n"
          "tr:nth-child(even){background:#f4f4f4}td.n{text-align:right}td.feat{font-size:11px}\n"
          ".sw{display:inline-block;width:10px;height:10px}\n"
          ".charts{display:flex;flex-wrap:wrap;gap:14px}\n"
          ".chart{border:1px solid #ddd;padding:6px}\n"
          ".title{font-family:monospace;font-size:13px}.sub{font-size:12px;color:#666}\n"
          "svg line.grid{stroke:#eee}svg text.ax{font-size:10px;fill:#666;stroke:none}\n"
          "svg polyline.med{fill:none;stroke-width:1}\n"
          "svg g.slower circle{stroke:#d22;stroke-width:2.5}svg g.slower line{stroke:#d22}\n"
          "svg g.faster circle{stroke:#2a2;stroke-width:2.5}svg g.faster line{stroke:#2a2}\n"
          "</style></head><body>\n<h1>upernet benchmark history</h1>\n",
          f);
    fprintf(f, "<p>%zu runs on %zu machine%s, %zu benchmarks. Each point: one run's median real "
               "time (lower is better), the bar spans its repetitions; one line per machine; "
               "ringed red = more than 5%% slower than that machine's point before, green = "
               "faster. Hover a point for machine, run, commit and date. Written by "
               "<code>make bench-report</code>.</p>\n",
            nmeta, nmachines, nmachines == 1 ? "" : "s", ncharts);
    write_machine_table(f, machines, nmachines);
    write_cross_machine(f, charts, ncharts, machines, nmachines);
    char family[64] = "";
    for (size_t i = 0; i < ncharts; i++) {
        char fam[64];
        snprintf(fam, sizeof fam, "%.*s", (int) strcspn(charts[i].name, "/"), charts[i].name);
        if (strcmp(fam, family) != 0) {
            fprintf(f, "%s<h2>", family[0] ? "</div>\n" : "");
            html_escape(f, fam);
            fprintf(f, "</h2>\n<div class=\"charts\">\n");
            snprintf(family, sizeof family, "%s", fam);
        }
        write_chart(f, &charts[i], meta, nmeta, machines, nmachines);
    }
    if (family[0])
        fputs("</div>\n", f);
    fputs("</body></html>\n", f);
    const int failed = ferror(f) | (fclose(f) != 0);
    for (size_t i = 0; i < ncharts; i++)
        free(charts[i].pts);
    free(charts);
    free(meta);
    free(machines);
    if (failed) {
        fprintf(stderr, "upernet-benchdb report: writing %s failed\n", out);
        return 1;
    }
    printf("wrote %s (%zu charts over %zu runs on %zu machine%s)\n", out, ncharts, nmeta, nmachines,
           nmachines == 1 ? "" : "s");
    return 0;
}
