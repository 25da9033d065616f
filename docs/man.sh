#!/usr/bin/env bash
# man.sh — read docs/PAGE.1.md as a real man page.
#
#   docs/man.sh io | iosrv | ioshell | path/to/page.1.md
#   docs/man.sh -r PAGE        print the roff instead of showing it
#
# The markdown becomes roff with pandoc when it is installed, else with the
# small converter below, which knows only what these pages use: a `# name(N)`
# title, `##` sections, `###` subsections, paragraphs, fenced code blocks,
# two-column pipe tables (each row a tagged paragraph), `- ` lists, and inline
# `code`, **bold** and *italic*. IO_MAN_CONVERTER=builtin or =pandoc forces one.
# The roff is shown with `man -l -`; without man(1) it is printed.

set -euo pipefail

usage() {
  echo "usage: docs/man.sh [-r] io | iosrv | ioshell | FILE.md" >&2
  exit 2
}

roff_only=0
if [[ ${1:-} == -r ]]; then
  roff_only=1
  shift
fi
[[ $# -eq 1 ]] || usage

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case $1 in
  *.md) page=$1 ;;
  *) page=$here/$1.1.md ;;
esac
[[ -r $page ]] || { echo "io: man.sh: no page $page" >&2; exit 1; }

# The title line `# io(1)` names the page and its section.
title=$(sed -n '1s/^# *//p' "$page")
name=${title%%(*}
section=$(sed -n 's/^[^(]*(\([0-9a-z]*\)).*/\1/p' <<<"$title")
[[ -n $name && -n $section ]] || { echo "io: man.sh: $page: first line must be '# name(section)'" >&2; exit 1; }
NAME=$(tr '[:lower:]' '[:upper:]' <<<"$name")
version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$here/../package.json" 2>/dev/null | head -1)
date=$(date -r "$page" +%Y-%m-%d 2>/dev/null || date +%Y-%m-%d)
footer="io ${version:-}"

with_pandoc() {
  # The title line goes to .TH; the ## sections become pandoc's top level; a
  # two-column table becomes a definition list (man's tagged paragraphs), as
  # tbl(1) squeezes long cells into narrow columns.
  awk '
    NR == 1 && /^# / { next }
    /^```/ { incode = !incode }
    !incode && /^##/ { sub(/^#/, "") }
    !incode && /^\|/ {
      line = $0
      gsub(/\\\|/, "\001", line)
      split(line, c, "|")
      for (i = 2; i <= 3; i++) { gsub(/^[ \t]+|[ \t]+$/, "", c[i]); gsub(/\001/, "\\|", c[i]) }
      if (!intable) { intable = 1; next }
      if (c[2] ~ /^:?-+:?$/) next
      print c[2]; print ":   " c[3]; print ""
      next
    }
    { intable = 0; print }
  ' "$page" |
    pandoc -f markdown-smart-tex_math_dollars-subscript-superscript -t man -s \
      -M "title=$NAME" -M "section=$section" -M "date=$date" -M "footer=$footer" -M "header=io manual" \
      -M hyphenate=false
}

with_builtin() {
  awk -v NAME="$NAME" -v SECTION="$section" -v DATE="$date" -v FOOTER="$footer" '
    # Roff-escape plain text: backslashes, hyphens, the two non-ASCII characters
    # these pages use; lead() guards a leading dot or quote.
    function esc(s) {
      gsub(/\\/, "\\e", s)
      gsub(/-/, "\\-", s)
      gsub(/…/, "\\[u2026]", s)
      gsub(/—/, "\\[em]", s)
      return s
    }
    function lead(s) {
      if (s ~ /^[.\047]/) s = "\\&" s
      return s
    }
    # **bold** and *italic* in text outside code spans.
    function emph(s) {
      while (match(s, /\*\*[^*]+\*\*/)) s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 2, RLENGTH - 4) "\\fR" substr(s, RSTART + RLENGTH)
      while (match(s, /\*[^* ][^*]*\*/)) s = substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" substr(s, RSTART + RLENGTH)
      return s
    }
    # One line of markdown text: `code` spans in bold, the rest escaped and emphasized.
    function inline(s,    out, n, parts, i) {
      gsub(/\\\|/, "|", s)
      n = split(s, parts, "`")
      out = ""
      for (i = 1; i <= n; i++) {
        if (i % 2 == 0 && i < n) out = out "\\fB" esc(parts[i]) "\\fR"
        else out = out (i % 2 == 0 ? "`" : "") emph(esc(parts[i]))   # an unmatched ` stays
      }
      return lead(out)
    }
    function cell(s) {
      sub(/^[ \t]+/, "", s)
      sub(/[ \t]+$/, "", s)
      return s
    }
    function endpara() { inpara = 0 }
    BEGIN {
      printf ".TH \"%s\" \"%s\" \"%s\" \"%s\" \"io manual\"\n", NAME, SECTION, DATE, FOOTER
      print ".nh"    # no hyphens: commands and flags stay whole
    }
    NR == 1 && /^# / { next }
    /^```/ {
      if (!incode) { print ".PP"; print ".RS 4"; print ".nf"; incode = 1 }
      else { print ".fi"; print ".RE"; incode = 0 }
      endpara()
      next
    }
    incode { print lead(esc($0)); next }
    /^### / { endpara(); print ".SS " esc(substr($0, 5)); next }
    /^## / { endpara(); print ".SH " esc(substr($0, 4)); intable = 0; next }
    /^\|/ {
      line = $0
      gsub(/\\\|/, "\001", line)
      n = split(line, c, "|")
      if (!intable) { intable = 1; endpara(); next }          # the header row
      if (cell(c[2]) ~ /^:?-+:?$/) next                         # the rule under it
      a = cell(c[2]); b = cell(c[3])
      gsub(/\001/, "\\|", a); gsub(/\001/, "\\|", b)
      print ".TP"
      print inline(a)
      print inline(b)
      next
    }
    { intable = 0 }
    /^[ \t]*$/ { endpara(); next }
    /^- / { endpara(); print ".IP \\(bu 2"; print inline(substr($0, 3)); inpara = 1; next }
    {
      if (!inpara) { print ".PP"; inpara = 1 }
      sub(/^[ \t]+/, "")
      print inline($0)
    }
  ' "$page"
}

converter=${IO_MAN_CONVERTER:-}
if [[ -z $converter ]]; then
  if command -v pandoc >/dev/null 2>&1; then converter=pandoc; else converter=builtin; fi
fi
case $converter in
  pandoc) roff=$(with_pandoc) ;;
  builtin) roff=$(with_builtin) ;;
  *) echo "io: man.sh: IO_MAN_CONVERTER must be pandoc or builtin" >&2; exit 2 ;;
esac

if [[ $roff_only -eq 1 ]] || ! command -v man >/dev/null 2>&1; then
  printf '%s\n' "$roff"
else
  printf '%s\n' "$roff" | man -l -
fi
