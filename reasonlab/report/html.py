"""One self-contained HTML page: inline CSS, images as base64 ``data:`` URIs, no script and no
external URL, so the file can be mailed or archived and still open anywhere. Every piece of text
that comes from a run (task names, prompts, completions) is escaped."""

from __future__ import annotations

import base64
import html
from typing import Any

from reasonlab.report.parts import Section, Table

MAX_COMPLETION_CHARS = 2000

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;
 max-width:1180px;margin:0 auto;padding:24px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 6px;border-bottom:1px solid #ddd;
 padding-bottom:4px}.sub{color:#555;margin:0 0 18px}
.summary{background:#f4f7fb;border-left:4px solid #1f63b4;padding:10px 18px;border-radius:4px}
.summary li{margin:4px 0}.intro{color:#333}.note{color:#7a4b00;background:#fff7e6;
 border-left:3px solid #e0a030;padding:6px 10px;margin:8px 0;border-radius:3px}
.figs{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
figure{margin:12px 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:12px;color:#666}
table{border-collapse:collapse;margin:10px 0;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 9px;text-align:left}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin:14px 0}
.pair.single{grid-template-columns:1fr}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 10px;min-width:0}
.card h4{margin:0 0 6px;font-size:13px}.prompt{background:#fafafa;border:1px solid #eee;
 border-radius:6px;padding:8px 10px;margin-top:10px}
pre{white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,Menlo,Consolas,
 monospace;margin:0;max-height:360px;overflow:auto}
.correct{color:#11763a}.wrong,.unparsable{color:#b3261e}.error,.timeout{color:#7a4b00}
nav a{margin-right:12px;font-size:13px}footer{margin-top:40px;color:#777;font-size:12px}
"""


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def image(png: bytes, alt: str, name: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f"<figcaption>{esc(alt)} (plots/{esc(name)}.png)</figcaption></figure>")


def table(t: Table) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in t.header)

    def cell(value: str) -> str:
        numeric = value[:1].isdigit() or value[:1] in "+-[" or value == "n/a"
        return f'<td class="num">{esc(value)}</td>' if numeric else f"<td>{esc(value)}</td>"

    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in t.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _completion(row: dict[str, Any]) -> str:
    text = str(row.get("completion") or "")
    if len(text) > MAX_COMPLETION_CHARS:
        cut = len(text) - MAX_COMPLETION_CHARS
        text = text[:MAX_COMPLETION_CHARS] + f"\n… ({cut} more characters in samples.jsonl)"
    return text


def card(label: str, row: dict[str, Any] | None) -> str:
    if row is None:
        return f'<div class="card"><h4>{esc(label)}</h4><p>not in this run</p></div>'
    verdict = row.get("verdict") or {}
    status = str(verdict.get("status", "error"))
    parsed = verdict.get("parsed")
    detail = (f"{status}" + (f" — parsed {parsed!r}" if parsed is not None else "")
              + (f" — {verdict['detail']}" if verdict.get("detail") else ""))
    tokens = row.get("thinking_tokens")
    return (f'<div class="card"><h4>{esc(label)}: <span class="{esc(status)}">{esc(detail)}'
            f"</span>" + (f" · {esc(tokens)} thinking tokens" if tokens is not None else "")
            + f"</h4><pre>{esc(_completion(row))}</pre></div>")


def examples(pairs: list[dict[str, Any]], labels: tuple[str, str], paired: bool) -> str:
    out = []
    for pair in pairs:
        row = pair["run"]
        head = (f'<div class="prompt"><b>{esc(row.get("task"))}</b> · difficulty '
                f'{esc(row.get("difficulty"))} · item <code>{esc(row.get("id"))}</code> · '
                f'expected answer <code>{esc(row.get("answer"))}</code>'
                f'<pre>{esc(row.get("prompt", ""))}</pre></div>')
        cards = (card(labels[0], pair["base"]) if paired else "") + card(labels[1], row)
        out.append(head + f'<div class="pair{"" if paired else " single"}">{cards}</div>')
    return "".join(out)


def section(s: Section, labels: tuple[str, str], paired: bool) -> str:
    parts = [f'<section id="{esc(s.id)}"><h2>{esc(s.title)}</h2>']
    if s.intro:
        parts.append(f'<p class="intro">{esc(s.intro)}</p>')
    parts += [f'<p class="note">{esc(note)}</p>' for note in s.notes]
    if s.figures:
        parts.append('<div class="figs">' + "".join(image(f.png, f.alt, f.name)
                                                  for f in s.figures) + "</div>")
    parts += [table(t) for t in s.tables]
    if s.examples:
        parts.append(examples(s.examples, labels, paired))
    parts.append("</section>")
    return "".join(parts)


def page(title: str, subtitle: str, sentences: list[str], sections: list[Section],
         labels: tuple[str, str], runs_table: Table, paired: bool) -> str:
    nav = "".join(f'<a href="#{esc(s.id)}">{esc(s.title.split(":")[0])}</a>' for s in sections)
    summary = "".join(f"<li>{esc(s)}</li>" for s in sentences)
    body = "".join(section(s, labels, paired) for s in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1><p class=\"sub\">{esc(subtitle)}</p><nav>{nav}</nav>"
        f"<h2 id=\"summary\">Summary</h2><div class=\"summary\"><ul>{summary}</ul></div>"
        f"{body}<section id=\"runs\"><h2>Runs</h2>{table(runs_table)}</section>"
        "<footer>Written by <code>reasonlab report</code>. Accuracy counts decided samples "
        "(verifier errors and timeouts apart); intervals are 95%.</footer></body></html>\n")
