using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MyTorch.Cli.Training;

/// <summary>Everything that defines a training run. Validated on construction; saved in every checkpoint.</summary>
public sealed record TrainConfig
{
    /// <summary>"mnist" (the shipped digits), "fashion-mnist", a folder of IDX files, or a CSV file.</summary>
    public string Data { get; init; } = "mnist";
    /// <summary>"classification" or "regression".</summary>
    public string Task { get; init; } = "classification";
    /// <summary>The network: "mlp" (built from <see cref="Hidden"/> and the options after it), "lenet5", "cnn", or a layer list (<see cref="ModelSpec"/>).</summary>
    public string Model { get; init; } = "mlp";
    /// <summary>Hidden layer sizes.</summary>
    public int[] Hidden { get; init; } = [256, 128];
    /// <summary>Hidden activation: relu, sigmoid, tanh, leaky-relu, softplus, gelu, identity.</summary>
    public string Activation { get; init; } = "relu";
    /// <summary>How many of the first hidden layers get BatchNorm.</summary>
    public int BatchNorm { get; init; }
    /// <summary>Dropout probability after each hidden activation.</summary>
    public double Dropout { get; init; }
    /// <summary>Number of epochs.</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Learning rate (null: the optimizer's default).</summary>
    public double? LearningRate { get; init; }
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>sgd, adam or adamw.</summary>
    public string Optimizer { get; init; } = "sgd";
    /// <summary>
    /// Learning-rate schedule: exponential (x <see cref="LearningRateDecay"/> each epoch), constant, or cosine (annealed
    /// to 0 by the last epoch). Exponential and constant depend on the epoch alone, so a run stopped and resumed with a
    /// larger --epochs matches one that ran straight through; cosine depends on the total, which resuming changes.
    /// </summary>
    public string LearningRateSchedule { get; init; } = "exponential";
    /// <summary>The factor the exponential schedule multiplies the learning rate by after each epoch.</summary>
    public double LearningRateDecay { get; init; } = 0.8;
    /// <summary>Weight initialization of the linear layers: default (PyTorch's), normal (seed 004: N(0, 1) weights, zero biases), xavier, kaiming.</summary>
    public string Init { get; init; } = "default";
    /// <summary>Weight decay (L2 for SGD and Adam, decoupled for AdamW).</summary>
    public double WeightDecay { get; init; }
    /// <summary>The seed of every random choice.</summary>
    public ulong Seed { get; init; } = 42;
    /// <summary>Fraction of the training set held out for validation.</summary>
    public double ValidationSplit { get; init; } = 0.1;
    /// <summary>Fraction of a single CSV file held out as the test set.</summary>
    public double TestSplit { get; init; } = 0.2;
    /// <summary>CSV target (regression) or label (classification) columns.</summary>
    public string[] Target { get; init; } = [];
    /// <summary>standard, minmax or none (regression).</summary>
    public string TargetScaling { get; init; } = "standard";
    /// <summary>none, relu, softplus, negative or range:A,B (regression).</summary>
    public string OutputActivation { get; init; } = "none";
    /// <summary>ce or bce (classification).</summary>
    public string Loss { get; init; } = "ce";
    /// <summary>Input normalization: auto (images: one mean and std over all pixels; CSV: per column), scale (images / 255), standardize, none.</summary>
    public string Normalize { get; init; } = "auto";

    private static IReadOnlyList<string> Activations => MyTorch.NN.ActivationModules.Names;
    private static readonly string[] Optimizers = ["sgd", "adam", "adamw", "rmsprop", "adagrad"];

    /// <summary>The learning rate in force: the configured one or the optimizer's usual default.</summary>
    public double EffectiveLearningRate => LearningRate ?? Optimizer switch
    {
        "sgd" => 0.05,
        "rmsprop" or "adagrad" => 1e-2,   // PyTorch's defaults
        _ => 1e-3,
    };

    /// <summary>Whether this is a regression run.</summary>
    public bool IsRegression => Task == "regression";

    /// <summary>Checks every field; throws <see cref="ArgumentException"/> naming the option and its value.</summary>
    public TrainConfig Validate()
    {
        RequireNoNulls();
        Require(Task is "classification" or "regression", "--task", Task, "classification or regression");
        if (Model != "mlp") ModelSpec.Parse(Model);
        Require(Hidden.All(h => h > 0), "--hidden", string.Join(',', Hidden), "positive layer sizes, such as 256,128");
        Require(Activations.Contains(Activation), "--activation", Activation, string.Join('|', Activations));
        Require(BatchNorm >= 0 && BatchNorm <= Hidden.Length, "--batchnorm", BatchNorm, $"0 to the number of hidden layers ({Hidden.Length})");
        Require(Dropout >= 0 && Dropout < 1, "--dropout", Dropout, "a probability in [0, 1)");
        Require(Epochs >= 0, "--epochs", Epochs, "0 or more");
        Require(BatchSize > 0, "--batch-size", BatchSize, "a positive number");
        Require(LearningRate is null || (LearningRate > 0 && double.IsFinite(LearningRate.Value)), "--lr", LearningRate ?? 0, "a positive number");
        Require(Momentum >= 0 && Momentum < 1, "--momentum", Momentum, "a number in [0, 1)");
        Require(Optimizers.Contains(Optimizer), "--optimizer", Optimizer, "sgd|adam|adamw|rmsprop|adagrad");
        Require(LearningRateSchedule is "exponential" or "constant" or "cosine", "--lr-schedule", LearningRateSchedule, "exponential|constant|cosine");
        Require(LearningRateDecay > 0 && LearningRateDecay <= 1, "--lr-decay", LearningRateDecay, "a factor in (0, 1]");
        Require(Init is "default" or "normal" or "xavier" or "kaiming", "--init", Init, "default|normal|xavier|kaiming");
        Require(WeightDecay >= 0 && double.IsFinite(WeightDecay), "--weight-decay", WeightDecay, "0 or more");
        Require(ValidationSplit >= 0 && ValidationSplit < 1, "--val-split", ValidationSplit, "a fraction in [0, 1)");
        Require(TestSplit > 0 && TestSplit < 1, "--test-split", TestSplit, "a fraction in (0, 1)");
        Require(TargetScaling is "standard" or "minmax" or "none", "--target-scaling", TargetScaling, "standard|minmax|none");
        Require(Loss is "ce" or "bce", "--loss", Loss, "ce|bce");
        Require(Normalize is "auto" or "scale" or "standardize" or "none", "--normalize", Normalize, "auto|scale|standardize|none");
        Require(IsRegression || OutputActivation == "none", "--output-activation", OutputActivation, "none for classification");
        if (IsRegression)
        {
            try { MyTorch.NN.OutputActivations.Parse(OutputActivation); }
            catch (ArgumentException) { Require(false, "--output-activation", OutputActivation, "none|relu|softplus|negative|range:A,B"); }
        }
        return this;
    }

    // A configuration read from a file may hold nulls where the options never do; checked apart from Validate, so
    // the compiler's null tracking there keeps trusting the non-nullable properties.
    private void RequireNoNulls()
    {
        Require(Data is not null, "--data", "null", "a data set name, folder or .csv file");
        Require(Model is not null, "--model", "null", "mlp, lenet5, cnn or a layer list");
        Require(Hidden is not null, "--hidden", "null", "positive layer sizes, such as 256,128");
        Require(Target is not null && Target.All(t => t is not null), "--target", "null", "column names");
        Require(Task is not null && Activation is not null && Optimizer is not null && LearningRateSchedule is not null && Init is not null
            && TargetScaling is not null && OutputActivation is not null && Loss is not null && Normalize is not null,
            "(configuration)", "null", "a value for every option");
    }

    private static void Require(bool condition, string option, object value, string expected)
    {
        if (!condition)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Invalid value '{value}' for option {option}: expected {expected}."), option);
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        RespectNullableAnnotations = true,
    };

    /// <summary>The configuration as JSON (snake_case keys), as stored in checkpoints and metrics.json.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a configuration written by <see cref="ToJson"/>; call <see cref="Validate"/> on the result.</summary>
    /// <exception cref="JsonException">The text is not JSON of a configuration (a wrong type, a null for a required value).</exception>
    public static TrainConfig FromJson(string json) =>
        JsonSerializer.Deserialize<TrainConfig>(json, JsonOptions) ?? throw new ArgumentException("Empty configuration.", nameof(json));
}
