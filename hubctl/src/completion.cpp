// `hubctl completion bash|zsh`: completion scripts built from the command tree itself, so they
// never fall behind the commands. Each names, for every command path, its subcommands and flags.
#include "command_kit.hpp"

#include <map>

namespace hubctl {

namespace {

// "hubctl config" -> "get set history ... --help"; the root is "hubctl".
void walk(const CLI::App& app, const std::string& path, std::map<std::string, std::string>& words) {
  std::string list;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    list += sub->get_name() + " ";
    walk(*sub, path + " " + sub->get_name(), words);
  }
  for (const CLI::Option* option : app.get_options())
    for (const std::string& name : option->get_lnames()) list += "--" + name + " ";
  words[path] = list;
}

std::string bash_script(const std::map<std::string, std::string>& words) {
  std::string cases;
  for (const auto& [path, list] : words) cases += "    \"" + path + "\") words=\"" + list + "\" ;;\n";
  return "# hubctl completion for bash: source <(hubctl completion bash)\n"
         "_hubctl() {\n"
         "  local path=hubctl word words\n"
         "  for word in \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"; do\n"
         "    case \"$word\" in -*) continue ;; esac\n"
         "    case \" $(_hubctl_words \"$path\") \" in *\" $word \"*) path=\"$path $word\" ;; esac\n"
         "  done\n"
         "  COMPREPLY=($(compgen -W \"$(_hubctl_words \"$path\")\" -- \"${COMP_WORDS[COMP_CWORD]}\"))\n"
         "}\n"
         "_hubctl_words() {\n"
         "  local words=\n"
         "  case \"$1\" in\n" +
         cases +
         "  esac\n"
         "  echo \"$words\"\n"
         "}\n"
         "complete -F _hubctl hubctl\n";
}

std::string zsh_script(const std::map<std::string, std::string>& words) {
  return "#compdef hubctl\n# hubctl completion for zsh: source <(hubctl completion zsh)\n"
         "autoload -U +X bashcompinit && bashcompinit\n" +
         bash_script(words);
}

}  // namespace

void add_completion(CLI::App& app, Context& context) {
  static std::string shell;
  command(app, "completion", "print a completion script: source <(hubctl completion bash)", context,
          [&app, &context] {
            std::map<std::string, std::string> words;
            walk(app, "hubctl", words);
            context.out << (shell == "zsh" ? zsh_script(words) : bash_script(words));
            return int(Exit::ok);
          })
      ->add_option("shell", shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
}

}  // namespace hubctl
