using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MyTorch.Cli.Reporting;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Cli.Commands;

/// <summary>
/// <c>mytorch gradcheck</c>: the float64 finite-difference check of every built-in op, layer and loss, as a
/// table of the worst error per op; exits with 1 when any check fails.
/// </summary>
public static class GradCheckCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var filter = new Option<string?>("--filter") { HelpName = "TEXT", Description = "check only the ops, layers and losses whose name contains this text" };
        var verbose = new Option<bool>("--verbose") { Description = "one row per case (each shape and variant) instead of one per op" };
        var command = new Command("gradcheck",
            "Check every built-in op, layer and loss: autograd's gradients against float64 central finite differences.") { filter, verbose };
        command.SetAction(result => CommandLineErrors.Run(() => Execute(result.GetValue(filter), result.GetValue(verbose))));
        return command;
    }

    private static int Execute(string? filter, bool verbose)
    {
        var clock = Stopwatch.StartNew();
        var results = GradCheckSuite.Run(filter);
        if (results.Count == 0)
            throw new ArgumentException($"Invalid value '{filter}' for option --filter: no op, layer or loss name contains it.");
        var output = ReportWriter.ForConsole();
        static string E(double value) => value.ToString("0.0E+00", CultureInfo.InvariantCulture);

        var table = new TextTable("kind", "name", verbose ? "case" : "cases", "elements", "worst rel error", "worst abs error", "result")
        {
            Title = "gradient check: |analytic - numeric| <= 1e-6 + 1e-5 |numeric| at every input element (step 1e-6, float64)",
        };
        var groups = verbose
            ? results.Select(r => (Key: r.Case.Name + " " + r.Case.Variant, Items: (IReadOnlyList<GradCheckCaseResult>)[r]))
            : results.GroupBy(r => r.Case.Name).Select(g => (Key: g.Key, Items: (IReadOnlyList<GradCheckCaseResult>)g.ToList()));
        foreach (var (key, items) in groups)
        {
            var first = items[0].Case;
            bool passed = items.All(r => r.Result.Passed);
            table.AddRow(first.Group,
                verbose ? first.Name : key,
                verbose ? first.Variant : items.Count.ToString(CultureInfo.InvariantCulture),
                items.Sum(r => r.Result.ElementsChecked).ToString(CultureInfo.InvariantCulture),
                E(items.Max(r => r.Result.RelativeError)),
                E(items.Max(r => r.Result.AbsoluteError)),
                passed ? "ok" : "FAILED");
        }
        output.Table(table);

        var failed = results.Where(r => !r.Result.Passed).ToList();
        int elements = results.Sum(r => r.Result.ElementsChecked);
        string seconds = clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture);
        if (failed.Count == 0)
        {
            output.Emphasis($"all {results.Count} checks passed ({results.Select(r => r.Case.Name).Distinct().Count()} ops, layers and losses; {elements} elements; {seconds} s)");
            return CommandLineErrors.Ok;
        }
        foreach (var f in failed) output.Emphasis($"{f.Case.Name} ({f.Case.Variant}): {f.Result}", good: false);
        output.Emphasis($"{failed.Count} of {results.Count} checks FAILED ({seconds} s)", good: false);
        return CommandLineErrors.Failure;
    }
}
