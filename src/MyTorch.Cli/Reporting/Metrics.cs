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
