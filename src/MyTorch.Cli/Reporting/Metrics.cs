using System.Text.Json;
using System.Text.Json.Nodes;
using MyTorch.Cli.Training;
using MyTorch.IO;

namespace MyTorch.Cli.Reporting;

/// <summary>The final metrics of a run: written to metrics.json and, with --json, printed on stdout.</summary>
public static class Metrics
{
    /// <summary>Everything about the run as one JSON object.</summary>
    public static JsonObject Build(Trainer trainer, EvaluationResult test, double totalSeconds)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(test);
        var config = trainer.Config;
        var history = trainer.History.Epochs;
        var testNode = new JsonObject { ["loss"] = Number(test.Loss), ["examples"] = test.Count };
        if (config.IsRegression)
        {
            testNode["mse"] = Number(test.MeanSquaredError);
            testNode["mae"] = Number(test.Error);
            testNode["targets"] = PerTarget(test, trainer.Data.TargetNames);
        }
        else
        {
            testNode["accuracy"] = Number(test.Accuracy);
            testNode["error"] = Number(test.Error);
        }
        return new JsonObject
        {
            ["task"] = config.Task,
            ["seed"] = config.Seed,
            ["config"] = JsonNode.Parse(config.ToJson()),
            ["data"] = new JsonObject
            {
                ["source"] = trainer.Data.Source,
                ["train"] = trainer.Data.Train.Count,
                ["validation"] = trainer.Data.Validation.Count,
                ["test"] = trainer.Data.Test.Count,
                ["inputs"] = trainer.Data.Inputs,
                ["outputs"] = ModelFactory.Outputs(config, trainer.Data.Classes),
            },
            ["parameters"] = trainer.Model.ParameterCount(),
            ["epochs"] = JsonNode.Parse(JsonSerializer.Serialize(history, TrainingHistory.JsonOptions)),
            ["test"] = testNode,
            ["samples_per_second"] = Number(history.Count == 0 ? 0 : history.Average(e => e.SamplesPerSecond)),
            ["total_seconds"] = Number(totalSeconds),
        };
    }

    /// <summary>Each regression target's MAE and RMSE in its original units, keyed by the target's name.</summary>
    public static JsonObject PerTarget(EvaluationResult result, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(names);
        var node = new JsonObject();
        for (int t = 0; t < result.PerTarget.Count; t++)
            node[t < names.Count ? names[t] : $"target{t}"] = new JsonObject { ["mae"] = Number(result.PerTarget[t].MeanAbsoluteError), ["rmse"] = Number(result.PerTarget[t].RootMeanSquareError) };
        return node;
    }

    /// <summary>One line per regression target: "name: MAE x, RMSE y".</summary>
    public static IEnumerable<string> PerTargetLines(EvaluationResult result, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(names);
        static string F(double v) => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
        for (int t = 0; t < result.PerTarget.Count; t++)
            yield return $"  {(t < names.Count ? names[t] : $"target{t}")}: MAE {F(result.PerTarget[t].MeanAbsoluteError)}, RMSE {F(result.PerTarget[t].RootMeanSquareError)}";
    }

    private static JsonValue? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    /// <summary>Writes the object atomically, indented.</summary>
    public static void Save(string path, JsonObject metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var text = metrics.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });
    }
}
