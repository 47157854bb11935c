using System.CommandLine;
using System.CommandLine.Help;
using MyTorch.Cli.Commands;
using MyTorch.IO;

namespace MyTorch.Cli;

/// <summary>The <c>mytorch</c> command.</summary>
public static class Program
{
    /// <summary>The root command with its verbs.</summary>
    public static Command CreateRootCommand()
    {
        // A plain command named after the tool rather than a RootCommand, which takes its name from the
        // executable (MyTorch.Cli, or dotnet): usage lines should say what users type.
        var root = new Command("mytorch", "MyTorch: train, evaluate and run neural networks in pure managed C#.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(ModelCommands.Eval());
        root.Subcommands.Add(ModelCommands.Predict());
        root.Subcommands.Add(ModelCommands.Summary());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(OnnxCommands.Export());
        root.Subcommands.Add(ExplainCommand.Create());
        root.Subcommands.Add(GradCheckCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    /// <summary>Parses and runs; invalid options print one line each and where the help is, and exit with 2.</summary>
    public static int Main(string[] args)
    {
        PlainOutputUnlessTerminal();
        var root = CreateRootCommand();
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            var path = new List<string>();
            for (var command = result.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
                if (command.Command != root) path.Insert(0, command.Command.Name);
            string commandLine = string.Join(' ', ["mytorch", .. path]);
            if (result.CommandResult.Command == root && result.UnmatchedTokens.Count > 0 && !result.UnmatchedTokens[0].StartsWith('-'))
            {
                var verb = result.UnmatchedTokens[0];
                var nearest = CommandLineErrors.Nearest(root.Subcommands.Select(c => c.Name), verb);
                Console.Error.WriteLine(CommandLineErrors.ErrorLine(
                    $"unknown command {MessageText.Quote(verb, 64)}" + (nearest is null ? "." : $"; did you mean {nearest}?")));
                Console.Error.WriteLine("Run 'mytorch --help' to see the commands.");
                return CommandLineErrors.BadInput;
            }
            if (result.UnmatchedTokens.Count > 0 && result.UnmatchedTokens.Any(t => t.StartsWith('-')))
            {
                // A typo: name it, suggest the nearest option, and point at the help instead of printing all of it.
                foreach (var token in result.UnmatchedTokens.Where(t => t.StartsWith('-')))
                {
                    var nearest = CommandLineErrors.Nearest(result.CommandResult.Command, token);
                    Console.Error.WriteLine(CommandLineErrors.ErrorLine(
                        $"unknown option {MessageText.Quote(token, 64)} for {commandLine}" + (nearest is null ? "." : $"; did you mean {nearest}?")));
                }
                Console.Error.WriteLine($"Run '{commandLine} --help' to see its options.");
                return CommandLineErrors.BadInput;
            }
            // A bad value: one line per problem, naming the option, the value and what is allowed, then where the help is.
            foreach (var error in result.Errors)
            {
                string? option = error.SymbolResult switch
                {
                    System.CommandLine.Parsing.OptionResult o => o.Option.Name,
                    System.CommandLine.Parsing.ArgumentResult { Parent: System.CommandLine.Parsing.OptionResult o } => o.Option.Name,
                    _ => null,
                };
                Console.Error.WriteLine(CommandLineErrors.ErrorLine(CommandLineErrors.Readable(error.Message, option)));
            }
            Console.Error.WriteLine($"Run '{commandLine} --help' to see its options.");
            return CommandLineErrors.BadInput;
        }
        return result.Invoke();
    }

    /// <summary>
    /// Escape codes (bold, colour, cursor moves) go only to a terminal: not to a pipe or a file, and nowhere when
    /// NO_COLOR is set (https://no-color.org), which keeps the styles' text but drops their colours.
    /// </summary>
    private static void PlainOutputUnlessTerminal()
    {
        bool noColor = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        if (!Console.IsOutputRedirected && !noColor) return;
        Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Ansi = Console.IsOutputRedirected ? Spectre.Console.AnsiSupport.No : Spectre.Console.AnsiSupport.Detect,
            ColorSystem = noColor || Console.IsOutputRedirected ? Spectre.Console.ColorSystemSupport.NoColors : Spectre.Console.ColorSystemSupport.Detect,
            Out = new Spectre.Console.AnsiConsoleOutput(Console.Out),
        });
    }
}
