using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace ZertForwarder.Reporting;

/// <summary>
/// <c>report.html</c>: one self-contained page (styles, data and scripts inline; nothing is fetched). The tables are
/// written here from the same fields as the CSV files, so the page shows exactly the CSV numbers; a small inline
/// script makes them sortable (click a heading) and filterable (type in the box), and draws the charts as SVG from
/// the data block.
/// </summary>
internal static class HtmlReport
{
    private const int MaxBars = 15;

    /// <summary>
    /// Rows per table on the page. A browser stays responsive up to a few thousand rows; a bigger report says on the
    /// page that the CSV file has the rest (the busiest rows come first).
    /// </summary>
    internal const int MaxTableRows = 5000;

    /// <param name="expiryWarningDays">
    /// The assessment policy's <c>certificate_expiry.warning_days</c>: the expiry chart marks as close to expiry what the
    /// assessment calls expiring (a fixed 30 disagreed with a policy that changed it).
    /// </param>
    public static void Write(Report report, string path, int expiryWarningDays) =>
        File.WriteAllText(path, Render(report, expiryWarningDays), new UTF8Encoding(false));

    public static string Render(Report report, int expiryWarningDays)
    {
        var html = new StringBuilder(64 * 1024);
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
            <title>zERT report</title>
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;color:#1d2430;background:#fff}
            h1{font-size:1.5rem;margin:0 0 .3rem} h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #ccd3dd}
            .meta{color:#555;font-size:.9rem} .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(620px,1fr));gap:1rem}
            figure{margin:0;border:1px solid #dde3ea;border-radius:6px;padding:.6rem} figcaption{font-weight:600;margin-bottom:.3rem}
            svg text{font-size:11px;fill:#1d2430} .legend span{display:inline-block;margin-right:.8rem;font-size:.8rem}
            .legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.25rem;vertical-align:middle}
            table{border-collapse:collapse;font-size:.8rem;margin-top:.4rem} th,td{border:1px solid #dde3ea;padding:.2rem .4rem;text-align:left;white-space:nowrap}
            th{background:#eef2f6;cursor:pointer;position:sticky;top:0} th.asc::after{content:" \25B2"} th.desc::after{content:" \25BC"}
            td.num{text-align:right} .scroll{max-height:32rem;overflow:auto;border:1px solid #dde3ea} input.filter{padding:.25rem;width:22rem}
            .empty{color:#777;font-style:italic}
            </style></head><body>
            <h1>zERT report: how z/OS TCP/IP traffic is protected</h1>
            """);
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"meta\">{report.RecordCount} connection and summary records; newest record {Encode(Counts.Time(report.Newest))}. ");
        html.Append("Connections and bytes come from subtype 12 summaries where they cover the time, otherwise from subtype 11 (see README, Report).</p>\n");
        html.Append("""
            <h2>Charts</h2>
            <div class="charts">
            <figure id="chart-protection-mix"><figcaption>Protection mix per server (connections)</figcaption><svg width="600" height="360"></svg><div class="legend"></div></figure>
            <figure id="chart-weak-reasons"><figcaption>Assessment reasons, weak and acceptable (connections of the sessions that had each reason)</figcaption><svg width="600" height="360"></svg></figure>
            <figure id="chart-cert-expiry"><figcaption>Certificate expiry timeline: the 20 soonest not-after dates (red: expired, orange: within WARNING_DAYS days of the newest record)</figcaption><svg width="600" height="360"></svg></figure>
            <figure id="chart-top-cleartext"><figcaption>Top cleartext servers (connections without protection)</figcaption><svg width="600" height="360"></svg></figure>
            <figure id="chart-tls-versions"><figcaption>TLS versions over time (connections)</figcaption><svg width="600" height="360"></svg><div class="legend"></div></figure>
            <figure id="chart-quantum-share"><figcaption>Quantum-vulnerable share of protected connections by system</figcaption><svg width="600" height="360"></svg></figure>
            </div>
            """.Replace("WARNING_DAYS", expiryWarningDays.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Table(html, "servers", "Servers: z/OS as TCP server", ServerRow.Header, report.Servers.Select(r => r.Fields()));
        Table(html, "clients", "Clients of each server", ClientRow.Header, report.Clients.Select(r => r.Fields()));
        Table(html, "outbound", "Outbound: z/OS as client, and Enterprise Extender peers", OutboundRow.Header, report.Outbound.Select(r => r.Fields()));
        Table(html, "sessions", "Security sessions", SessionRow.Header, report.Sessions.Select(r => r.Fields()));
        html.Append("<script id=\"report-data\" type=\"application/json\">");
        // The default encoder escapes <, > and & as \u003C..., so the data cannot close the script element.
        html.Append(JsonSerializer.Serialize(ChartData(report, expiryWarningDays)));
        html.Append("</script>\n<script>\n").Append(Script).Append("\n</script>\n</body></html>\n");
        return html.ToString();
    }

    private static void Table(StringBuilder html, string id, string title, string[] header, IEnumerable<string[]> rows)
    {
        html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"{id}-view\">{Encode(title)}</h2>\n");
        html.Append(CultureInfo.InvariantCulture, $"<input class=\"filter\" type=\"search\" placeholder=\"Filter rows (text in any column)\" data-table=\"{id}\">\n");
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"scroll\"><table id=\"{id}\"><thead><tr>");
        foreach (var h in header) html.Append("<th>").Append(Encode(h)).Append("</th>");
        html.Append("</tr></thead><tbody>\n");
        var count = 0;
        var total = 0;
        foreach (var row in rows)
        {
            total++;
            if (count == MaxTableRows) continue;
            count++;
            html.Append("<tr>");
            foreach (var cell in row)
            {
                var numeric = cell.Length > 0 && double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
                html.Append(numeric ? "<td class=\"num\">" : "<td>").Append(Encode(cell)).Append("</td>");
            }
            html.Append("</tr>\n");
        }
        html.Append("</tbody></table></div>\n");
        if (count == 0) html.Append("<p class=\"empty\">No rows.</p>\n");
        if (total > count) html.Append(CultureInfo.InvariantCulture, $"<p class=\"empty\">The first {count} of {total} rows; {id}.csv has them all.</p>\n");
    }

    private static object ChartData(Report report, int expiryWarningDays)
    {
        var servers = report.Servers;
        var protectionMix = servers.Take(MaxBars).Select(s => new
        {
            label = $"{s.Key.System}/{s.Key.Stack} {s.Key.ServerIp}:{s.Key.Port} {s.Key.Job}",
            values = s.Counts.ConnectionsByProtection,
        }).ToList();
        var reasons = new SortedDictionary<string, long>(StringComparer.Ordinal);
        // The chart is of weak and acceptable crypto: the reason "cleartext" (which has a chart of its own) was one of
        // its biggest bars and pushed weak ciphers and protocols out of the fifteen shown.
        foreach (var session in report.Sessions.Where(s => s.Level is "weak" or "acceptable"))
        {
            foreach (var reason in session.Reasons) reasons[reason] = Saturating.Add(reasons.GetValueOrDefault(reason), session.Counts.Connections);
        }
        var certificates = report.Sessions.SelectMany(s => s.ServerCertificates.Concat(s.ClientCertificates))
            .Where(c => c.NotAfter is not null && c.Subject is not null)
            .DistinctBy(c => (c.Subject, c.Serial, c.NotAfter)).OrderBy(c => c.NotAfter, StringComparer.Ordinal)
            .Select(c => new { subject = c.Subject, notAfter = c.NotAfter }).ToList();
        var cleartext = servers.Where(s => s.Counts.ConnectionsByProtection[0] > 0).OrderByDescending(s => s.Counts.ConnectionsByProtection[0])
            .ThenBy(s => s.Key.ToString(), StringComparer.Ordinal).Take(MaxBars)
            .Select(s => new { label = $"{s.Key.System}/{s.Key.Stack} {s.Key.ServerIp}:{s.Key.Port} {s.Key.Job}", value = s.Counts.ConnectionsByProtection[0] }).ToList();
        var versions = report.TlsTimeline.Versions.ToList();
        var timeline = report.TlsTimeline.Columns().Select(c => new { label = Counts.Time(c.Start), values = c.Connections }).ToList();
        var quantum = report.Systems.Select(s => new
        {
            label = s.Key,
            share = Math.Round(s.Value.QuantumVulnerableShare, 3),
            vulnerable = s.Value.QuantumVulnerable,
            protectedConnections = s.Value.Protected,
        }).ToList();
        return new
        {
            newest = Counts.Time(report.Newest),
            protections = Counts.ProtectionNames,
            protectionMix,
            weakReasons = reasons.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).Take(MaxBars).Select(r => new { label = r.Key, value = r.Value }).ToList(),
            certificates,
            cleartext,
            tlsVersions = versions,
            tlsTimeline = timeline,
            quantum,
            warningDays = expiryWarningDays,
        };
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private const string Script = """
        "use strict";
        const data = JSON.parse(document.getElementById("report-data").textContent);
        const NS = "http://www.w3.org/2000/svg";
        const COLORS = {none: "#d64545", tls: "#2f7ed8", ssh: "#34a37e", ipsec: "#8e5cc4"};
        const SERIES = ["#2f7ed8", "#34a37e", "#e0a030", "#d64545", "#8e5cc4", "#555"];
        function el(name, attrs, parent, text) {
          const e = document.createElementNS(NS, name);
          for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
          if (text !== undefined) e.textContent = text;
          if (parent) parent.appendChild(e);
          return e;
        }
        function svgOf(id) { return document.querySelector("#" + id + " svg"); }
        function empty(svg) { el("text", {x: 20, y: 40, class: "no-data"}, svg, "No data in this report."); }
        function legend(id, names, colors) {
          const box = document.querySelector("#" + id + " .legend");
          names.forEach((n, i) => { const s = document.createElement("span"); s.innerHTML = "<i></i>"; s.firstChild.style.background = colors[i]; s.appendChild(document.createTextNode(n)); box.appendChild(s); });
        }
        function short(label, n) { return label.length > n ? label.slice(0, n - 1) + "\u2026" : label; }
        // Horizontal bars; each item has label and values (stacked) in the given colours.
        function hbars(id, items, colors, format, right) {
          const svg = svgOf(id);
          if (!items.length) return empty(svg);
          const left = 230, width = 600 - left - (right || 60), rowH = Math.min(22, 330 / items.length);
          const max = Math.max(1, ...items.map(i => i.values.reduce((a, b) => a + b, 0)));
          items.forEach((item, r) => {
            const y = 10 + r * rowH;
            el("text", {x: left - 6, y: y + rowH * 0.7, "text-anchor": "end"}, svg, short(item.label, 34)).appendChild(el("title", {}, null, item.label));
            let x = left;
            item.values.forEach((v, k) => {
              if (v <= 0) return;
              const w = Math.max(1, v / max * width);
              el("rect", {x: x, y: y + 2, width: w, height: rowH - 4, fill: colors[k % colors.length], class: "bar", "data-value": v}, svg).appendChild(el("title", {}, null, item.label + ": " + v));
              x += w;
            });
            el("text", {x: x + 4, y: y + rowH * 0.7}, svg, format(item.values.reduce((a, b) => a + b, 0), item));
          });
        }
        hbars("chart-protection-mix", data.protectionMix, data.protections.map(p => COLORS[p]), v => String(v));
        legend("chart-protection-mix", data.protections, data.protections.map(p => COLORS[p]));
        hbars("chart-weak-reasons", data.weakReasons.map(r => ({label: r.label, values: [r.value]})), ["#e0a030"], v => String(v));
        hbars("chart-top-cleartext", data.cleartext.map(r => ({label: r.label, values: [r.value]})), ["#d64545"], v => String(v));
        hbars("chart-quantum-share", data.quantum.map(q => ({label: q.label, values: [q.share * 100], q: q})), ["#8e5cc4"],
          (v, item) => v.toFixed(1) + " % (" + item.q.vulnerable + " of " + item.q.protectedConnections + ")", 150);
        // Certificate expiry: one dot per certificate on a time axis, soonest first.
        (function () {
          const svg = svgOf("chart-cert-expiry");
          const certs = data.certificates.slice(0, 20);
          if (!certs.length) return empty(svg);
          const times = certs.map(c => Date.parse(c.notAfter));
          const ref = data.newest ? Date.parse(data.newest) : Math.min(...times);
          const lo = Math.min(ref, ...times), hi = Math.max(ref + 86400000, ...times);
          const left = 230, width = 600 - left - 20, rowH = Math.min(22, 310 / certs.length);
          const xOf = t => left + (t - lo) / (hi - lo) * width;
          el("line", {x1: xOf(ref), x2: xOf(ref), y1: 5, y2: 330, stroke: "#888", "stroke-dasharray": "4 3"}, svg);
          el("text", {x: xOf(ref) + 3, y: 345}, svg, "newest record " + data.newest.slice(0, 10));
          certs.forEach((c, r) => {
            const y = 10 + r * rowH + rowH / 2, t = times[r];
            const color = t < ref ? "#d64545" : t < ref + data.warningDays * 86400000 ? "#e0a030" : "#34a37e";
            el("text", {x: left - 6, y: y + 4, "text-anchor": "end"}, svg, short(c.subject.replace(/^CN=/, "").split(",")[0], 34)).appendChild(el("title", {}, null, c.subject));
            el("circle", {cx: xOf(t), cy: y, r: 5, fill: color, class: "bar", "data-value": c.notAfter}, svg).appendChild(el("title", {}, null, c.subject + " expires " + c.notAfter));
          });
          el("text", {x: left, y: 358}, svg, new Date(lo).toISOString().slice(0, 10));
          el("text", {x: left + width, y: 358, "text-anchor": "end"}, svg, new Date(hi).toISOString().slice(0, 10));
        })();
        // TLS versions over time: stacked columns per time bucket.
        (function () {
          const svg = svgOf("chart-tls-versions");
          const cols = data.tlsTimeline;
          if (!cols.length) return empty(svg);
          const bottom = 320, height = 300, left = 40, width = 600 - left - 10;
          const colW = width / cols.length;
          const max = Math.max(1, ...cols.map(c => c.values.reduce((a, b) => a + b, 0)));
          el("text", {x: 4, y: 18}, svg, String(max));
          el("line", {x1: left, x2: left + width, y1: bottom, y2: bottom, stroke: "#888"}, svg);
          cols.forEach((c, i) => {
            let y = bottom;
            c.values.forEach((v, k) => {
              if (v <= 0) return;
              const h = Math.max(1, v / max * height);
              y -= h;
              el("rect", {x: left + i * colW + 1, y: y, width: Math.max(1, colW - 2), height: h, fill: SERIES[k % SERIES.length], class: "bar", "data-value": v}, svg)
                .appendChild(el("title", {}, null, c.label + " " + data.tlsVersions[k] + ": " + v));
            });
          });
          el("text", {x: left, y: bottom + 16}, svg, cols[0].label.slice(0, 16).replace("T", " "));
          el("text", {x: left + width, y: bottom + 16, "text-anchor": "end"}, svg, cols[cols.length - 1].label.slice(0, 16).replace("T", " "));
          legend("chart-tls-versions", data.tlsVersions, data.tlsVersions.map((v, k) => SERIES[k % SERIES.length]));
        })();
        // Tables: click a heading to sort (numbers as numbers), type in the box to filter.
        document.querySelectorAll("table").forEach(table => {
          table.querySelectorAll("th").forEach((th, col) => th.addEventListener("click", () => {
            const asc = !th.classList.contains("asc");
            table.querySelectorAll("th").forEach(h => h.classList.remove("asc", "desc"));
            th.classList.add(asc ? "asc" : "desc");
            const body = table.tBodies[0];
            const rows = Array.from(body.rows);
            const key = r => r.cells[col].textContent;
            const numeric = rows.every(r => key(r) === "" || !isNaN(Number(key(r))));
            rows.sort((a, b) => {
              const x = key(a), y = key(b);
              const d = numeric ? (Number(x) - Number(y)) : x.localeCompare(y);
              return asc ? d : -d;
            });
            rows.forEach(r => body.appendChild(r));
          }));
        });
        document.querySelectorAll("input.filter").forEach(input => input.addEventListener("input", () => {
          const needle = input.value.toLowerCase();
          document.getElementById(input.dataset.table).querySelectorAll("tbody tr").forEach(r => {
            r.style.display = r.textContent.toLowerCase().includes(needle) ? "" : "none";
          });
        }));
        document.body.setAttribute("data-charts-drawn", "true");
        """;
}
