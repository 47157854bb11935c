using System.Globalization;
using System.Text.Json;
using MyTorch.Data;
using MyTorch.IO;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.Cli.Training;

/// <summary>
/// Reads and writes models and training checkpoints as safetensors files that PyTorch users can read: the
/// model's tensors use the keys and layouts of the equivalent <c>torch.nn.Sequential</c> (a Linear weight as
/// (out, in), its bias as (out,)); everything else (optimizer state, scalers) sits under prefixed keys, and
/// configuration, epoch, history and generator state in the header's metadata.
/// </summary>
public static class Checkpoint
{
    /// <summary>The metadata value that marks a MyTorch file.</summary>
    public const string FormatName = "mytorch/1";

    /// <summary>The key prefixes of tensors that are not the model's: transforms and optimizer state.</summary>
    private static readonly string[] AuxiliaryPrefixes = ["input_normalizer.", "target_scaler.", "optimizer."];

    // Room for a configuration that differs from the file's tensors, so that loading lists every mismatch instead
    // of refusing to build the network: up to this many parameters beyond four times the values the file holds.
    private const double ParameterSlack = 1 << 18;

    /// <summary>The model's state dict in PyTorch's layouts (see <see cref="PyTorchStateDict"/>).</summary>
    public static StateDict ModelTensors(Module model) => PyTorchStateDict.ToPyTorch(model);

    /// <summary>
    /// Loads tensors in PyTorch's layouts (as written by <see cref="ModelTensors"/>) into <paramref name="model"/>.
    /// Every name, dtype and shape is checked first, and values must be finite; all mismatches are reported at once,
    /// with shapes as the file stores them.
    /// </summary>
    /// <exception cref="DataFormatException">A tensor is missing, unexpected, of the wrong dtype or shape, or not finite.</exception>
    public static void LoadModelTensors(Module model, StateDict tensors, string path) =>
        PyTorchStateDict.Load(model, tensors, path, AuxiliaryPrefixes, errorOffset: 8);

    private static string FormatShape(ReadOnlySpan<int> shape) => PyTorchStateDict.FormatShape(shape);

    /// <summary>Everything a saved model needs beside its weights: configuration, data transforms, feature and target names.</summary>
    public static StateDict ModelFile(Module model, TrainConfig config, PreparedData data)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        var dict = ModelTensors(model);
        dict.Metadata["format"] = FormatName;
        dict.Metadata["config"] = config.ToJson();
        dict.Metadata["inputs"] = data.Inputs.ToString(CultureInfo.InvariantCulture);
        dict.Metadata["classes"] = data.Classes.ToString(CultureInfo.InvariantCulture);
        dict.Metadata["feature_names"] = JsonSerializer.Serialize(data.FeatureNames);
        dict.Metadata["target_names"] = JsonSerializer.Serialize(data.TargetNames);
        // The config keeps --data as typed (often relative); the full path lets eval find the data from any folder.
        dict.Metadata["data_source"] = data.Source;
        AddPrefixed(dict, "input_normalizer.", data.Normalizer.ToStateDict());
        if (data.TargetScaler is not null) AddPrefixed(dict, "target_scaler.", data.TargetScaler.ToStateDict());
        return dict;
    }

    /// <summary>A model file plus the optimizer, the generator, the epoch and the history: all that resuming needs.</summary>
    public static StateDict TrainingState(Module model, TrainConfig config, PreparedData data, Optimizer optimizer,
        Generator generator, int epochsDone, TrainingHistory history)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(history);
        var dict = ModelFile(model, config, data);
        AddPrefixed(dict, "optimizer.", optimizer.StateDict());
        dict.Metadata["epoch"] = epochsDone.ToString(CultureInfo.InvariantCulture);
        dict.Metadata["generator"] = string.Join(',', generator.GetState().Select(w => w.ToString(CultureInfo.InvariantCulture)));
        dict.Metadata["history"] = history.ToJson();
        return dict;
    }

    private static void AddPrefixed(StateDict target, string prefix, StateDict source)
    {
        foreach (var (key, value) in source) target.Add(prefix + key, value);
        foreach (var (key, value) in source.Metadata) target.Metadata[prefix + key] = value;
    }

    /// <summary>The entries under <paramref name="prefix"/>, with the prefix removed.</summary>
    public static StateDict Prefixed(StateDict source, string prefix)
    {
        ArgumentNullException.ThrowIfNull(source);
        var dict = new StateDict();
        foreach (var (key, value) in source)
            if (key.StartsWith(prefix, StringComparison.Ordinal)) dict.Add(key[prefix.Length..], value);
        foreach (var (key, value) in source.Metadata)
            if (key.StartsWith(prefix, StringComparison.Ordinal)) dict.Metadata[key[prefix.Length..]] = value;
        return dict;
    }

    /// <summary>Reads a MyTorch file and checks that it is one, with a message naming the file otherwise.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is not a well-formed safetensors file, or not a MyTorch one.</exception>
    public static StateDict Read(string path, string option = "--model")
    {
        Commands.CommandLineErrors.CheckFileOption(path, option,
            option == "--resume" ? "the checkpoint.safetensors written by mytorch train" : "a model.safetensors (or checkpoint) written by mytorch train");
        var dict = Safetensors.Load(path);
        if (!dict.Metadata.TryGetValue("format", out var format) || format != FormatName || !dict.Metadata.ContainsKey("config"))
            throw new DataFormatException(path, "it is not a MyTorch model", offset: 8,
                expected: $"metadata \"format\": \"{FormatName}\" and a configuration", found: "a safetensors file without them");
        return dict;
    }

    /// <summary>
    /// The configuration stored in a file read by <see cref="Read"/>, validated, and checked against the file's size:
    /// a configuration that describes a network far larger than the tensors the file holds is rejected before any
    /// of it is allocated (a small file cannot make the loader build a network of gigabytes).
    /// </summary>
    /// <exception cref="DataFormatException">The configuration is not valid JSON, has an invalid value, or does not fit the file.</exception>
    public static TrainConfig Config(StateDict dict, string path)
    {
        ArgumentNullException.ThrowIfNull(dict);
        TrainConfig config;
        try
        {
            config = TrainConfig.FromJson(dict.Metadata["config"]).Validate();
        }
        catch (Exception error) when (error is JsonException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            throw new DataFormatException(path, $"its configuration is invalid: {error.Message}", offset: 8);
        }
        CheckNetworkSize(dict, config, path);
        return config;
    }

    private static void CheckNetworkSize(StateDict dict, TrainConfig config, string path)
    {
        int inputs = MetadataInt(dict, "inputs", path);
        int classes = MetadataInt(dict, "classes", path);
        if (inputs < 1 || classes < 1)
            throw new DataFormatException(path, "its metadata gives no inputs or no classes", offset: 8,
                expected: "inputs and classes of at least 1", found: $"inputs {inputs}, classes {classes}");
        int outputs = ModelFactory.Outputs(config, classes);
        // In double: exact far beyond any size that passes, and no overflow for sizes that do not.
        double parameters = 0;
        double previous = inputs;
        if (config.Model != "mlp")
        {
            try
            {
                parameters = ModelSpec.Parse(config.Model).ParameterCount(inputs, outputs);
            }
            catch (ArgumentException error)
            {
                throw new DataFormatException(path, $"its configuration's --model does not describe a network: {error.Message}", offset: 8);
            }
        }
        else
        {
            for (int i = 0; i < config.Hidden.Length; i++)
            {
                parameters += previous * config.Hidden[i] + config.Hidden[i] + (i < config.BatchNorm ? 4.0 * config.Hidden[i] : 0);
                previous = config.Hidden[i];
            }
            parameters += previous * outputs + outputs;
        }
        long stored = dict.Values.Sum(t => (long)t.Count);
        int modelTensors = dict.Keys.Count(k => !AuxiliaryPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal)));
        if (parameters > 4.0 * stored + ParameterSlack || config.Hidden.Length + 1 > Math.Max(modelTensors, 1) + 64)
            throw new DataFormatException(path,
                $"its configuration describes a network far larger than the file: {inputs} inputs, " +
                (config.Model == "mlp"
                    ? $"hidden layers ({string.Join(", ", config.Hidden.Take(8))}{(config.Hidden.Length > 8 ? ", ..." : "")})"
                    : $"--model {MessageText.Quote(config.Model, 80)}") + $", {outputs} outputs", offset: 8,
                expected: string.Create(CultureInfo.InvariantCulture, $"about {stored:N0} parameters in {modelTensors} tensors, as the file holds"),
                found: string.Create(CultureInfo.InvariantCulture, $"{parameters:N0} parameters in {config.Hidden.Length + 1} layers"));
    }

    /// <summary>A whole-number metadata value, or a format error naming the file.</summary>
    public static int MetadataInt(StateDict dict, string key, string path)
    {
        ArgumentNullException.ThrowIfNull(dict);
        if (dict.Metadata.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= 0)
            return value;
        throw new DataFormatException(path, $"metadata key '{key}' is not a whole number", offset: 8, expected: "a whole number", found: Shorten(dict.Metadata.GetValueOrDefault(key)) ?? "nothing");
    }

    /// <summary>The input normalizer saved in a model file, checked to fit <paramref name="inputs"/> features.</summary>
    /// <exception cref="DataFormatException">It is missing, malformed, or its statistics have the wrong shape.</exception>
    public static InputNormalizer ReadInputNormalizer(StateDict dict, int inputs, string path)
    {
        ArgumentNullException.ThrowIfNull(dict);
        InputNormalizer normalizer;
        try
        {
            normalizer = InputNormalizer.FromStateDict(Prefixed(dict, "input_normalizer."));
        }
        catch (ArgumentException error)
        {
            throw new DataFormatException(path, $"its input normalizer is invalid: {error.Message}", offset: 8);
        }
        if (normalizer.Mean is { } mean && !(mean.Rank == 0 || (mean.Rank == 1 && mean.Shape[0] == inputs)))
            throw new DataFormatException(path, "its input normalizer does not fit the model's inputs", offset: 8,
                expected: $"statistics of shape () or ({inputs},)", found: $"shape {FormatShape(mean.Shape)}");
        return normalizer;
    }

    /// <summary>The target scaler of a regression model file, checked to fit <paramref name="targets"/> targets.</summary>
    /// <exception cref="DataFormatException">It is missing, malformed, or its statistics have the wrong shape.</exception>
    public static TargetScaler ReadTargetScaler(StateDict dict, int targets, string path)
    {
        ArgumentNullException.ThrowIfNull(dict);
        TargetScaler scaler;
        try
        {
            scaler = TargetScaler.FromStateDict(Prefixed(dict, "target_scaler."));
        }
        catch (ArgumentException error)
        {
            throw new DataFormatException(path, $"its target scaler is invalid: {error.Message}", offset: 8);
        }
        var statistic = scaler switch { StandardScaler standard => standard.Mean, MinMaxScaler minMax => minMax.Min, _ => null };
        if (statistic is not null && !(statistic.Rank == 1 && statistic.Shape[0] == targets))
            throw new DataFormatException(path, "its target scaler does not fit the model's outputs", offset: 8,
                expected: $"statistics of shape ({targets},)", found: $"shape {FormatShape(statistic.Shape)}");
        return scaler;
    }

    /// <summary>A JSON array of names saved in the metadata (feature or target names), without nulls.</summary>
    /// <exception cref="DataFormatException">It is missing, not an array of strings, or has the wrong length.</exception>
    public static string[] ReadNames(StateDict dict, string key, int? expectedCount, string path)
    {
        ArgumentNullException.ThrowIfNull(dict);
        string[]? names = null;
        try
        {
            if (dict.Metadata.TryGetValue(key, out var json)) names = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException error)
        {
            throw new DataFormatException(path, $"metadata key '{key}' is not a JSON array of names: {error.Message}", offset: 8);
        }
        if (names is null || names.Any(n => n is null) || (expectedCount is int count && names.Length != count))
            throw new DataFormatException(path, $"metadata key '{key}' does not hold the model's names", offset: 8,
                expected: expectedCount is int n ? $"a JSON array of {n} strings" : "a JSON array of strings",
                found: names is null ? "nothing" : names.Any(n => n is null) ? "a null name" : $"{names.Length} names");
        return names;
    }

    /// <summary>The training history saved by <see cref="TrainingState"/>: one record per epoch, numbered 1, 2, ...</summary>
    /// <exception cref="DataFormatException">The history is missing, not valid JSON, or its records are not in order.</exception>
    public static TrainingHistory ReadHistory(StateDict dict, string path)
    {
        ArgumentNullException.ThrowIfNull(dict);
        if (!dict.Metadata.TryGetValue("history", out var json)) return new TrainingHistory();
        TrainingHistory history;
        try
        {
            history = TrainingHistory.FromJson(json);
        }
        catch (JsonException error)
        {
            throw new DataFormatException(path, $"its training history is not valid: {error.Message}", offset: 8);
        }
        for (int i = 0; i < history.Epochs.Count; i++)
            if (history.Epochs[i] is not { } record || record.Epoch != i + 1)
                throw new DataFormatException(path, "its training history is out of order", offset: 8,
                    expected: $"record {i + 1} for epoch {i + 1}", found: history.Epochs[i] is null ? "null" : $"epoch {history.Epochs[i].Epoch}");
        return history;
    }

    /// <summary>Restores the optimizer state saved by <see cref="TrainingState"/>; its numbers must be finite.</summary>
    /// <exception cref="DataFormatException">The state does not fit the optimizer, or holds a value that is not a finite number.</exception>
    public static void RestoreOptimizer(StateDict dict, Optimizer optimizer, string path)
    {
        ArgumentNullException.ThrowIfNull(dict);
        ArgumentNullException.ThrowIfNull(optimizer);
        var state = Prefixed(dict, "optimizer.");
        CheckOptimizerKind(state, optimizer, path);
        long steps = 0;
        if (state.Metadata.TryGetValue("step", out var stepText) && !long.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out steps))
            throw new DataFormatException(path, "its optimizer state 'step' is not a valid step count", offset: 8,
                expected: "a whole number 0 or more", found: Shorten(stepText));
        foreach (var (key, text) in state.Metadata)
        {
            if (key is "optimizer" or "step") continue;
            string leaf = key[(key.LastIndexOf('.') + 1)..];
            (Func<double, bool> valid, string expected) = leaf switch
            {
                // A parameter's own step count is at most the optimizer's: each step counts once for each.
                "step" => ((Func<double, bool>)(v => v >= 0 && v == Math.Floor(v) && v <= steps), $"a whole number 0 to {steps} (the optimizer's step count)"),
                "lr" or "initial_lr" => (v => v > 0, "a finite number above 0"),
                "momentum" or "beta1" or "beta2" => (v => v is >= 0 and < 1, "a finite number in [0, 1)"),
                "eps" or "weight_decay" => (v => v >= 0, "a finite number 0 or more"),
                "nesterov" or "amsgrad" or "maximize" => (v => v is 0 or 1, "0 or 1"),
                _ => (v => true, "a finite number"),
            };
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value) || !valid(value))
                throw new DataFormatException(path, $"its optimizer state {MessageText.Quote(key)} is not valid", offset: 8,
                    expected: expected, found: Shorten(text));
        }
        foreach (var (key, tensor) in state)
            if (tensor.DType.IsFloatingPoint() && !tensor.AllFinite())
                throw new DataFormatException(path, $"its optimizer state tensor {MessageText.Quote(key)} holds NaN or infinity", offset: 8);
        try
        {
            optimizer.LoadStateDict(state);
        }
        catch (ArgumentException error)
        {
            throw new DataFormatException(path, $"its optimizer state does not fit the configured run: {error.Message}");
        }
    }

    // The per-parameter state each optimizer keeps (tensors, and Adam's step count as metadata).
    private static readonly string[] SgdState = ["momentum_buffer"];
    private static readonly string[] AdamState = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"];
    private static readonly string[] RmspropState = ["square_avg", "grad_avg", "momentum_buffer", "step"];
    private static readonly string[] AdagradState = ["sum", "step"];

    /// <summary>
    /// The state must be the configured optimizer's: loading SGD's momentum buffers into Adam (or the reverse) would
    /// silently start that state afresh, and the resumed run would not continue the one that was saved.
    /// </summary>
    private static void CheckOptimizerKind(StateDict state, Optimizer optimizer, string path)
    {
        string own = optimizer.GetType().Name;
        string[] expected = own switch
        {
            nameof(SGD) => SgdState,
            nameof(RMSprop) => RmspropState,
            nameof(Adagrad) => AdagradState,
            _ => AdamState,
        };
        string? saved = state.Metadata.GetValueOrDefault("optimizer");
        var entries = state.Keys.Concat(state.Metadata.Keys).Where(k => k.StartsWith("state.", StringComparison.Ordinal))
            .Select(k => k[(k.LastIndexOf('.') + 1)..]).Distinct(StringComparer.Ordinal).ToArray();
        string? foreign = entries.FirstOrDefault(e => !expected.Contains(e));
        // The state's own names tell who wrote it when they disagree with the name it carries.
        string? writer = foreign is null ? saved
            : SgdState.Contains(foreign) ? nameof(SGD) : AdamState.Contains(foreign) ? nameof(Adam)
            : RmspropState.Contains(foreign) ? nameof(RMSprop) : AdagradState.Contains(foreign) ? nameof(Adagrad) : null;
        if (saved != own || foreign is not null)
            throw new DataFormatException(path,
                $"its optimizer state is {(writer is null ? "not from a known optimizer" : $"{MessageText.Clean(writer, 24)}'s")} but its configuration trains with {own}; " +
                "resuming would drop that state instead of continuing the run exactly", offset: 8,
                expected: $"{own} state ({string.Join(", ", expected)})",
                found: foreign is null ? $"optimizer {MessageText.Quote(saved ?? "(none)", 24)}" : $"state {MessageText.Quote(foreign, 24)}");
    }

    /// <summary>Restores the generator state saved by <see cref="TrainingState"/>.</summary>
    public static void RestoreGenerator(StateDict dict, Generator generator, string path)
    {
        ArgumentNullException.ThrowIfNull(dict);
        ArgumentNullException.ThrowIfNull(generator);
        string? text = dict.Metadata.GetValueOrDefault("generator");
        // Count the words before splitting, so a long string of commas cannot allocate millions of strings.
        if (text is null || text.Length > 200 || text.Count(c => c == ',') != 6)
            throw new DataFormatException(path, "the generator state of the checkpoint is invalid", offset: 8,
                expected: "7 comma-separated whole numbers", found: Shorten(text) ?? "nothing");
        try
        {
            var words = text.Split(',').Select(w => ulong.Parse(w, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
            generator.SetState(words);
        }
        catch (Exception error) when (error is FormatException or OverflowException or ArgumentException)
        {
            throw new DataFormatException(path, $"the generator state of the checkpoint is invalid: {error.Message}", offset: 8,
                expected: "7 comma-separated whole numbers, not all of the first four 0", found: Shorten(text));
        }
    }

    /// <summary>A metadata value as shown in an error: control characters escaped, at most 60 characters.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    private static string? Shorten(string? text) => text is null ? null : MessageText.Clean(text, 60);
}
