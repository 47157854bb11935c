using System.Text.Json;
using System.Text.Json.Serialization;

namespace MyTorch.Cli.Training;

/// <summary>One epoch's statistics. For classification, errors are misclassification rates; for regression, mean absolute errors in the targets' original units.</summary>
public sealed record EpochRecord
{
    /// <summary>The 1-based epoch.</summary>
    public int Epoch { get; init; }
    /// <summary>Mean training loss over the epoch's batches, estimated as they were trained on (seed 004).</summary>
    public double TrainLoss { get; init; }
    /// <summary>Training error estimated from the training batches.</summary>
    public double TrainError { get; init; }
    /// <summary>Validation loss after the epoch, in evaluation mode.</summary>
    public double ValidationLoss { get; init; }
    /// <summary>Validation error after the epoch.</summary>
    public double ValidationError { get; init; }
    /// <summary>Training throughput.</summary>
    public double SamplesPerSecond { get; init; }
    /// <summary>Wall-clock seconds of the epoch's training.</summary>
    public double Seconds { get; init; }
    /// <summary>The learning rate used.</summary>
    public double LearningRate { get; init; }
}

/// <summary>The per-epoch records of a run, carried in checkpoints so a resumed run keeps its whole history.</summary>
public sealed class TrainingHistory
{
    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The epochs so far, in order.</summary>
    public List<EpochRecord> Epochs { get; init; } = [];

    /// <summary>Serializes the history.</summary>
    public string ToJson() => JsonSerializer.Serialize(Epochs, JsonOptions);

    /// <summary>Reads a history written by <see cref="ToJson"/>; records may be null, <see cref="Checkpoint.ReadHistory"/> checks them.</summary>
    /// <exception cref="JsonException">The text is not a JSON array of epoch records.</exception>
    public static TrainingHistory FromJson(string json) =>
        new() { Epochs = JsonSerializer.Deserialize<List<EpochRecord>>(json, JsonOptions) ?? [] };
}
