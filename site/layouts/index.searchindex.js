{{- /* The search index: every page and every API function, as a script so
       that search works from file:// too (no fetch). */ -}}
{{- $items := slice -}}
{{- range where (where .Site.Pages "Kind" "in" (slice "page" "section" "home")) "Params.nosearch" "!=" true -}}
  {{- $p := . -}}
  {{- $items = $items | append (dict "t" .Title "u" .RelPermalink "s" (.Summary | plainify | htmlUnescape | truncate 160)) -}}
  {{- range .Params.functions -}}
    {{- $items = $items | append (dict "t" .name "u" (printf "%s#%s" $p.RelPermalink .name) "s" .summary "f" true) -}}
  {{- end -}}
{{- end -}}
window.TINYVMI_INDEX = {{ $items | jsonify }};
