/* upernet-benchdb report: one self-contained HTML page (inline SVG, no
 * script, no network) with a chart per benchmark over the recorded history:
 * one point per run holding that benchmark (median real time, a bar from the
 * fastest to the slowest repetition), oldest left; a point's tooltip names
 * the run, commit and date. Charts are grouped by family (the name up to the
 * first '/'); the peers' figures (tools/bench_peers.py, family "peers") come
 * out the same way. A red point is slower than the previous point by more
 * than 5%, a green one faster. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/benchdb.h"

struct point {
    long long run_id;
    double med, lo, hi, gflops;
};

struct chart {
    char name[256];
    struct point *pts;
    size_t n, cap;
};

struct run_meta {
    long long id;
    char label[64], started[32], kind[16];
};

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
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

static void write_chart(FILE *f, const struct chart *c, const struct run_meta *meta, size_t nmeta)
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
    /* The line through the medians. */
    fprintf(f, "<polyline class=\"med\" points=\"");
    for (size_t i = 0; i < c->n; i++) {
        const double x = left + (c->n > 1 ? dx * (double) i : pw / 2);
        const double y = top + ph - ph * (c->pts[i].med - y0) / (y1 - y0);
        fprintf(f, "%.1f,%.1f ", x, y);
    }
    fprintf(f, "\"/>\n");
    for (size_t i = 0; i < c->n; i++) {
        const struct point *p = &c->pts[i];
        const double x = left + (c->n > 1 ? dx * (double) i : pw / 2);
        const double ym = top + ph - ph * (p->med - y0) / (y1 - y0);
        const double ylo = top + ph - ph * (p->lo - y0) / (y1 - y0);
        const double yhi = top + ph - ph * (p->hi - y0) / (y1 - y0);
        const char *cls = "pt";
        if (i > 0 && p->med > 1.05 * c->pts[i - 1].med)
            cls = "pt slower";
        else if (i > 0 && p->med < c->pts[i - 1].med / 1.05)
            cls = "pt faster";
        const struct run_meta *m = meta_find(meta, nmeta, p->run_id);
        char tm[32];
        benchdb_format_time(p->med, tm, sizeof tm);
        fprintf(f, "<g class=\"%s\"><title>run %lld %s %s%s%s: median %s", cls, p->run_id,
                m ? m->label : "", m ? m->started : "", m && strcmp(m->kind, "bench") ? " " : "",
                m && strcmp(m->kind, "bench") ? m->kind : "", tm);
        if (!isnan(p->gflops))
            fprintf(f, ", %.1f GFLOP/s", p->gflops);
        fprintf(f, "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"/></g>\n",
                x, ylo, x, yhi, x, ym);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\">run %lld</text>"
               "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">run %lld</text>\n",
            left, H - 6, c->pts[0].run_id, W - right, H - 6, last->run_id);
    fprintf(f, "</svg></div>\n");
}

int benchdb_report(sqlite3 *db, int argc, char **argv)
{
    const char *out = "bench-report.html";
    for (int i = 0; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
        else if (strcmp(argv[i], "--db") != 0) {
            fprintf(stderr, "upernet-benchdb report: unknown option %s\n", argv[i]);
            return 2;
        }
    }

    /* Run metadata. */
    struct run_meta *meta = NULL;
    size_t nmeta = 0, capmeta = 0;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT id, commit_hash, dirty, started, kind FROM runs ORDER BY id", -1,
                       &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (nmeta == capmeta) {
            capmeta = capmeta ? 2 * capmeta : 64;
            meta = realloc(meta, capmeta * sizeof *meta);
            if (meta == NULL)
                abort();
        }
        struct run_meta *m = &meta[nmeta++];
        m->id = sqlite3_column_int64(st, 0);
        const char *commit = (const char *) sqlite3_column_text(st, 1);
        snprintf(m->label, sizeof m->label, "%.10s%s", commit && commit[0] ? commit : "unknown",
                 sqlite3_column_int(st, 2) ? "+dirty" : "");
        snprintf(m->started, sizeof m->started, "%s",
                 sqlite3_column_text(st, 3) ? (const char *) sqlite3_column_text(st, 3) : "");
        snprintf(m->kind, sizeof m->kind, "%s",
                 sqlite3_column_text(st, 4) ? (const char *) sqlite3_column_text(st, 4) : "");
    }
    sqlite3_finalize(st);

    /* Every repetition, grouped into (benchmark, run) points. */
    struct chart *charts = NULL;
    size_t ncharts = 0, capcharts = 0;
    sqlite3_prepare_v2(db,
                       "SELECT name, run_id, real_time_ns, json_extract(counters_json, '$.\"GFLOP/s\"')"
                       " FROM results WHERE error IS NULL AND real_time_ns IS NOT NULL"
                       " ORDER BY name, run_id, repetition",
                       -1, &st, NULL);
    double reps[1024], gf[1024];
    size_t nreps = 0;
    char cur_name[256] = "";
    long long cur_run = -1;
    int more = 1;
    while (more) {
        more = sqlite3_step(st) == SQLITE_ROW;
        const char *name = more ? (const char *) sqlite3_column_text(st, 0) : "";
        const long long run = more ? sqlite3_column_int64(st, 1) : -2;
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
            qsort(reps, nreps, sizeof *reps, cmp_double);
            double g = NAN;
            size_t ng = 0;
            for (size_t i = 0; i < nreps; i++)
                if (!isnan(gf[i]))
                    g = (ng++ ? g : 0) + gf[i];
            c->pts[c->n++] = (struct point){
                cur_run, nreps % 2 ? reps[nreps / 2] : 0.5 * (reps[nreps / 2 - 1] + reps[nreps / 2]),
                reps[0], reps[nreps - 1], ng ? g / (double) ng : NAN};
            nreps = 0;
        }
        if (!more)
            break;
        snprintf(cur_name, sizeof cur_name, "%s", name);
        cur_run = run;
        if (nreps < 1024) {
            reps[nreps] = sqlite3_column_double(st, 2);
            gf[nreps] = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3);
            nreps++;
        }
    }
    sqlite3_finalize(st);

    FILE *f = fopen(out, "w");
    if (f == NULL) {
        perror(out);
        return 1;
    }
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>upernet benchmark history"
          "</title>\n<style>\n"
          "body{font-family:sans-serif;margin:1.5em;color:#222}\n"
          "h2{border-bottom:1px solid #ccc;margin-top:1.5em}\n"
          ".charts{display:flex;flex-wrap:wrap;gap:14px}\n"
          ".chart{border:1px solid #ddd;padding:6px}\n"
          ".title{font-family:monospace;font-size:13px}.sub{font-size:12px;color:#666}\n"
          "svg line.grid{stroke:#eee}svg text.ax{font-size:10px;fill:#666}\n"
          "svg polyline.med{fill:none;stroke:#89a;stroke-width:1}\n"
          "svg g.pt line{stroke:#345}svg g.pt circle{fill:#345}\n"
          "svg g.slower circle{fill:#d22}svg g.slower line{stroke:#d22}\n"
          "svg g.faster circle{fill:#2a2}svg g.faster line{stroke:#2a2}\n"
          "</style></head><body>\n<h1>upernet benchmark history</h1>\n",
          f);
    fprintf(f, "<p>%zu runs, %zu benchmarks. Each point: one run's median real time (lower is "
               "better), the bar spans its repetitions; red = more than 5%% slower than the "
               "point before, green = faster. Hover a point for run, commit and date. "
               "Written by <code>make bench-report</code>.</p>\n",
            nmeta, ncharts);
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
        write_chart(f, &charts[i], meta, nmeta);
    }
    if (family[0])
        fputs("</div>\n", f);
    fputs("</body></html>\n", f);
    const int failed = ferror(f) | (fclose(f) != 0);
    for (size_t i = 0; i < ncharts; i++)
        free(charts[i].pts);
    free(charts);
    free(meta);
    if (failed) {
        fprintf(stderr, "upernet-benchdb report: writing %s failed\n", out);
        return 1;
    }
    printf("wrote %s (%zu charts over %zu runs)\n", out, ncharts, nmeta);
    return 0;
}
