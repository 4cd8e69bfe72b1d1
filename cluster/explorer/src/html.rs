//! HTML building blocks: escaping, the page layout, tables, links and the stage journey.
//! Everything shown comes from the node, so everything is escaped.

use bitai_rpc::Stage;

/// `s` escaped for HTML text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A long hex string shortened for tables (`9c41…e107`), the whole in its title.
pub fn short(hex: &str) -> String {
    if hex.len() <= 16 {
        return esc(hex);
    }
    format!(
        "<span class=\"hex\" title=\"{}\">{}…{}</span>",
        esc(hex),
        esc(&hex[..8]),
        esc(&hex[hex.len() - 6..])
    )
}

/// A link.
pub fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", esc(href), text)
}

/// A table with `headers` and already-rendered cells.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return "<p class=\"empty\">none</p>".into();
    }
    let head: String = headers
        .iter()
        .map(|h| format!("<th>{}</th>", esc(h)))
        .collect();
    let body: String = rows
        .iter()
        .map(|r| {
            let cells: String = r.iter().map(|c| format!("<td>{c}</td>")).collect();
            format!("<tr>{cells}</tr>")
        })
        .collect();
    format!("<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
}

/// A definition list of `(term, rendered value)`.
pub fn facts(items: &[(&str, String)]) -> String {
    let body: String = items
        .iter()
        .map(|(k, v)| format!("<dt>{}</dt><dd>{v}</dd>", esc(k)))
        .collect();
    format!("<dl>{body}</dl>")
}

/// A stage as a badge.
pub fn stage(s: Stage) -> String {
    format!("<span class=\"stage {0}\">{0}</span>", s.name())
}

/// The pipeline's stages a transaction goes through, in order.
pub const JOURNEY: [Stage; 6] = [
    Stage::Pending,
    Stage::InL2Block,
    Stage::Proven,
    Stage::Inscribed,
    Stage::Verified,
    Stage::Final,
];

/// The journey with every stage reached so far marked, the current one highlighted.
pub fn journey(current: Stage) -> String {
    let steps: String = JOURNEY
        .iter()
        .map(|s| {
            let class = if *s == current {
                "current"
            } else if current != Stage::Rejected && *s < current {
                "reached"
            } else {
                "ahead"
            };
            format!(
                "<li class=\"{class}\" data-stage=\"{0}\">{0}</li>",
                s.name()
            )
        })
        .collect();
    format!("<ol class=\"journey\">{steps}</ol>")
}

/// The whole page around `main`.
pub fn layout(title: &str, main: &str, aside: &str, refresh_ms: u64, scripts: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · bitai explorer</title><link rel=\"stylesheet\" href=\"/assets/style.css\">\
         </head><body data-refresh-ms=\"{refresh_ms}\"><header><a class=\"brand\" href=\"/\">bitai \
         explorer</a><nav><a href=\"/\">chains</a><a href=\"/bitcoin\">bitcoin</a>\
         <a href=\"/pool\">queues</a></nav></header><h1>{t}</h1><main>{main}</main>{aside}\
         <footer>Every page answers as JSON too: add <code>?format=json</code>. Don't trust, \
         verify: <code>bitai proof fetch</code> and the check on each block page.</footer>\
         <script src=\"/assets/explorer.js\"></script>{scripts}</body></html>",
        t = esc(title)
    )
}
