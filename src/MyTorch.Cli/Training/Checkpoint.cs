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

    /// <summary>The model's state dict in PyTorch's layouts.</summary>
    public static StateDict ModelTensors(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var dict = new StateDict();
        var linears = LinearNames(model);
        using (Autograd.NoGrad())
        {
            foreach (var (key, value) in model.StateDict())
            {
                var (owner, leaf) = Split(key);
                bool isLinear = linears.Contains(owner);
                dict.Add(key, isLinear && leaf == "weight" ? value.T : isLinear && leaf == "bias" ? value.Reshape(-1) : value);
            }
        }
        return dict;
    }

    /// <summary>Loads tensors in PyTorch's layouts (as written by <see cref="ModelTensors"/>) into <paramref name="model"/>.</summary>
    public static void LoadModelTensors(Module model, StateDict tensors, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tensors);
        var linears = LinearNames(model);
        var own = model.StateDict();
        var converted = new StateDict();
        foreach (var (key, value) in tensors)
        {
            if (!own.TryGetValue(key, out var target)) continue;
            var (owner, leaf) = Split(key);
            bool isLinear = linears.Contains(owner);
            var tensor = isLinear && leaf == "weight" && value.Rank == 2 ? value.T
                : isLinear && leaf == "bias" && value.Count == target.Count ? value.Reshape(target.Shape.ToArray()) : value;
            converted.Add(key, tensor.DType == target.DType ? tensor : tensor.To(target.DType));
        }
        try
        {
            model.LoadStateDict(converted, strict: true);
        }
        catch (ArgumentException error)
        {
            throw new DataFormatException(path, $"its tensors do not fit the configured model: {error.Message}");
        }
    }

    private static HashSet<string> LinearNames(Module model) =>
        model.NamedModules().Where(m => m.Module is Linear).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);

    private static (string Owner, string Leaf) Split(string key)
    {
        int dot = key.LastIndexOf('.');
        return dot < 0 ? ("", key) : (key[..dot], key[(dot + 1)..]);
    }

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
    public static StateDict Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"The model file '{path}' (full path {Path.GetFullPath(path)}) does not exist.", path);
        var dict = Safetensors.Load(path);
        if (!dict.Metadata.TryGetValue("format", out var format) || format != FormatName || !dict.Metadata.ContainsKey("config"))
            throw new DataFormatException(path, "it is not a MyTorch model", offset: 8,
                expected: $"metadata \"format\": \"{FormatName}\" and a configuration", found: "a safetensors file without them");
        return dict;
    }

    /// <summary>The configuration stored in a file read by <see cref="Read"/>.</summary>
    public static TrainConfig Config(StateDict dict, string path)
    {
        ArgumentNullException.ThrowIfNull(dict);
        try
        {
            return TrainConfig.FromJson(dict.Metadata["config"]).Validate();
        }
        catch (Exception error) when (error is JsonException or ArgumentException)
        {
            throw new DataFormatException(path, $"its configuration is invalid: {error.Message}", offset: 8);
        }
    }

    /// <summary>A whole-number metadata value, or a format error naming the file.</summary>
    public static int MetadataInt(StateDict dict, string key, string path)
    {
        ArgumentNullException.ThrowIfNull(dict);
        if (dict.Metadata.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= 0)
            return value;
        throw new DataFormatException(path, $"metadata key '{key}' is not a whole number", offset: 8, expected: "a whole number", found: dict.Metadata.GetValueOrDefault(key) ?? "nothing");
    }

    /// <summary>Restores the generator state saved by <see cref="TrainingState"/>.</summary>
    public static void RestoreGenerator(StateDict dict, Generator generator, string path)
    {
        ArgumentNullException.ThrowIfNull(dict);
        ArgumentNullException.ThrowIfNull(generator);
        try
        {
            var words = dict.Metadata["generator"].Split(',').Select(w => ulong.Parse(w, CultureInfo.InvariantCulture)).ToArray();
            generator.SetState(words);
        }
        catch (Exception error) when (error is KeyNotFoundException or FormatException or OverflowException or ArgumentException)
        {
            throw new DataFormatException(path, $"the generator state of the checkpoint is invalid: {error.Message}", offset: 8);
        }
    }
}
