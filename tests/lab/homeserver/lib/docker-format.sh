# docker's Go-template formatting and table writer, for `docker ps --format` other than `{{json .}}`
# (which the docker stand-in answers itself: bash does not parse this file for status polls).

FIELDS=' Command CreatedAt ID Image Labels LocalVolumes Mounts Names Networks Platform Ports RunningFor Size State Status '

# Renders Go-template fields used by the runbook and the app: {{.X}}, {{json .}}, {{json .X}},
# {{.Label "k"}}, {{lower .X}}/{{upper .X}} from the C_<Field> variables. Anything else is reported like
# docker's template error.
render() { # template -> $OUT
  local tpl=$1 out= rest key f
  while [[ $tpl == *'{{'* ]]; do
    out+=${tpl%%'{{'*}
    rest=${tpl#*'{{'}
    key=${rest%%'}}'*}
    tpl=${rest#*'}}'}
    key=${key# }
    key=${key% }
    case $key in
    'json .')
      container_json
      out+=$JSON
      continue
      ;;
    .Label*) continue ;;
    'json .'* | 'lower .'* | 'upper .'*) f=${key#* .} ;;
    .*) f=${key#.} ;;
    *) continue ;;
    esac
    if [[ $FIELDS != *" $f "* ]]; then
      printf 'template parsing error: template: :1:%d: executing "" at <%s>: can'"'"'t evaluate field %s in type *formatter.ContainerContext\n' 2 "$key" "$f" >&2
      exit 1
    fi
    f=C_$f
    case $key in
    json*) json_str "${!f}"; out+=$J ;;
    lower*) out+=${!f,,} ;;
    upper*) out+=${!f^^} ;;
    *) out+=${!f} ;;
    esac
  done
  OUT=$out$tpl
}

# Go's text/tabwriter with docker's settings (minwidth 10, tabwidth 1, padding 3, spaces). A cell is
# the text before each tab; empty cells count too (width 0 + padding).
tabwrite() { # lines in ROWS -> stdout
  # Widths in runes, as Go's tabwriter counts them ('…' in truncated commands). Only here: pattern
  # matching in a UTF-8 locale costs several times what it costs in C.
  local LC_ALL=C.UTF-8
  local -a widths=()
  local line cell i w pad out=
  for line in "${ROWS[@]}"; do
    i=0
    while [[ $line == *$'\t'* ]]; do
      cell=${line%%$'\t'*}
      line=${line#*$'\t'}
      w=$((${#cell} + 3))
      ((w < 10)) && w=10
      ((w > ${widths[i]:-0})) && widths[i]=$w
      i=$((i + 1))
    done
  done
  for line in "${ROWS[@]}"; do
    i=0
    while [[ $line == *$'\t'* ]]; do
      cell=${line%%$'\t'*}
      line=${line#*$'\t'}
      # printf pads by bytes; Go's tabwriter by runes ('…' in truncated commands).
      printf -v pad '%*s' $((${widths[i]} - ${#cell})) ''
      out+=$cell$pad
      i=$((i + 1))
    done
    out+=$line$'\n'
  done
  printf '%s' "$out"
}
