import type { Command } from "./command-table.js";

/**
 * A bash completion script for `mesh`, generated from the command table so it never lists a command or option
 * the CLI does not have. Completes commands, then a command's sub-commands, then its --options (files elsewhere).
 */
export function completionScript(table: Readonly<Record<string, Command>>): string {
  const words = (c: Command) => [...Object.keys(c.subcommands ?? {}), ...Object.keys(c.options ?? {}).map((o) => `--${o}`), "--help"].join(" ");
  const cases = Object.entries(table).map(([name, c]) => `    ${name}) opts="${words(c)}" ;;`);
  return `# mesh bash completion: source <(mesh completion bash), or save it under /etc/bash_completion.d/mesh
_mesh() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" opts
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${[...Object.keys(table), "help", "completion"].join(" ")}" -- "$cur") )
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join("\n")}
    help) opts="${Object.keys(table).join(" ")}" ;;
    completion) opts="bash" ;;
    *) opts="" ;;
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=( $(compgen -f -- "$cur") )
}
complete -F _mesh mesh
`;
}
