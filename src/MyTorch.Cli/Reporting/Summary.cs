using System.Globalization;
using MyTorch.Cli.Training;
using Spectre.Console;

namespace MyTorch.Cli.Reporting;

/// <summary>The table printed when training ends.</summary>
public static class Summary
{
    /// <summary>Prints per-epoch statistics, the test result and the files written.</summary>
    public static void Print(Trainer trainer, EvaluationResult test, bool rich)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(test);
        var regression = trainer.Config.IsRegression;
        var errorName = regression ? "MAE" : "error";
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]training statistics[/]");
        table.AddColumns("epoch", "train loss", $"train {errorName}", "val loss", $"val {errorName}", "samples/s");
        foreach (var e in trainer.History.Epochs)
            table.AddRow(F(e.Epoch, "0"), F(e.TrainLoss), F(e.TrainError), F(e.ValidationLoss), F(e.ValidationError), F(e.SamplesPerSecond, "N0"));
        var testLine = regression
            ? $"test on {test.Count} examples, in each target's original units:\n" + string.Join("\n", Metrics.PerTargetLines(test, trainer.Data.TargetNames))
            : $"test: loss {F(test.Loss)}, accuracy {F(test.Accuracy * 100, "F2")}% on {test.Count} examples";
        var files = $"wrote {MyTorch.IO.MessageText.Clean(Path.Combine(trainer.OutputDirectory, "model.safetensors"), 200)}, metrics.json, training-curves.png, checkpoint.safetensors";
        if (rich)
        {
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"[bold green]{Markup.Escape(testLine)}[/]");
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(files)}[/]");
        }
        else
        {
            Console.Out.WriteLine(testLine);
            Console.Out.WriteLine(files);
        }
    }

    private static string F(double value, string format = "F4") => value.ToString(format, CultureInfo.InvariantCulture);
}
