using System.Globalization;
using MyTorch.Data;
using MyTorch.IO;
using MyTorch.NN;

namespace MyTorch.Cli.Training;

/// <summary>What <c>mytorch import</c> was asked for: the PyTorch file, the model it holds, and how its inputs are prepared.</summary>
/// <param name="From">The <c>torch.save</c> (.pt, .pth) or safetensors file.</param>
/// <param name="Spec">The model: <c>mlp</c> (shaped by <see cref="Hidden"/> and the rest), a preset or a layer list, as <c>mytorch train --model</c> takes it.</param>
/// <param name="Hidden">Hidden layer sizes; null: read from the file's Linear weights.</param>
/// <param name="Activation">The hidden activation.</param>
/// <param name="BatchNorm">How many hidden layers have BatchNorm; null: as many as the file has BatchNorm tensors for.</param>
/// <param name="Dropout">Dropout after each activation (it shifts the layer indices, as in PyTorch).</param>
/// <param name="Task">classification or regression.</param>
/// <param name="Data">The data the model is for (stored for <c>eval</c>; a CSV gives the feature and target names).</param>
/// <param name="Target">CSV target or label columns.</param>
/// <param name="Normalize">The transform the PyTorch model expects of raw inputs: none, scale[:D], standardize:MEAN,STD.</param>
public sealed record ImportRequest(string From, string Spec, int[]? Hidden, string Activation, int? BatchNorm, double Dropout,
    string Task, string? Data, string[] Target, string Normalize);

/// <summary>
/// Turns a PyTorch state dict into a MyTorch model file: builds the network the spec describes, loads the tensors
/// through <see cref="PyTorchStateDict"/> (every mismatch listed at once), and adds the metadata <c>eval</c> and
/// <c>predict</c> need (see docs/model-files.md).
/// </summary>
public static class ModelImport
{
    /// <summary>Reads, checks and converts; returns the model file's state dict and a one-line description.</summary>
    /// <exception cref="DataFormatException">The file is malformed or its tensors do not fit the spec.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static (StateDict File, string Description) Convert(ImportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        bool mlp = request.Spec == "mlp";
        if (!mlp && (request.Hidden is not null || request.BatchNorm is not null || request.Dropout != 0))
            throw new ArgumentException($"Invalid option for --model {MessageText.Quote(request.Spec, 64)}: --hidden, --batchnorm and --dropout shape --model mlp only; a layer list names its own layers.");
        Commands.CommandLineErrors.CheckFileOption(request.From, "--from", "a state dict saved by torch.save (.pt, .pth) or safetensors.torch.save_file");
        var tensors = PyTorchStateDict.Read(request.From);
        var (inputs, outputs, hidden, batchNorm) = MlpShape(tensors, request, mlp);
        var config = new TrainConfig
        {
            Data = request.Data ?? "mnist",
            Model = request.Spec,
            Task = request.Task,
            Hidden = hidden,
            Activation = request.Activation,
            BatchNorm = batchNorm,
            Dropout = request.Dropout,
            Target = request.Target,
            TargetScaling = "none",
            Normalize = "none",
        }.Validate();
        var data = DataPreparation.Prepare(config);
        if (!mlp) inputs = data.Inputs;
        if (data.Inputs != inputs)
            throw new ArgumentException($"Invalid value {MessageText.Quote(config.Data, 200)} for option --data: it has {data.Inputs} inputs but the model in --from takes {inputs}; pass --data with the data set the model is for (a .csv file, or an IDX folder).");
        int classes = config.IsRegression ? outputs : Math.Max(outputs, 2);
        if (config.IsRegression ? data.Classes != outputs : data.Classes > classes)
            throw new ArgumentException($"Invalid value {MessageText.Quote(config.Data, 200)} for option --data: it has {data.Classes} {(config.IsRegression ? "targets" : "classes")} but the model has {outputs} outputs.");
        var model = ModelFactory.Build(config, inputs, outputs, new Generator(config.Seed));
        bool shifted = ShiftedPastUnflatten(model, ref tensors);
        PyTorchStateDict.Load(model, tensors, request.From, convertFloats: true, describedBy: "the --model spec");
        var prepared = data with
        {
            Classes = config.IsRegression ? outputs : outputs == 1 ? 2 : outputs,
            Normalizer = Normalizer(request.Normalize),
            TargetScaler = config.IsRegression ? new IdentityScaler() : null,
        };
        if (!config.IsRegression && outputs == 1) config = config with { Loss = "bce" };
        var file = Checkpoint.ModelFile(model, config, prepared);
        file.Metadata["imported_from"] = Path.GetFileName(request.From);
        string layers = mlp ? $"hidden ({string.Join(", ", hidden)})" : MessageText.Clean(request.Spec, 80);
        string description = string.Create(CultureInfo.InvariantCulture,
            $"{inputs} inputs, {layers}, {outputs} outputs, {model.Parameters().Sum(p => (long)p.Count):N0} parameters")
            + (shifted ? "; the file's layer indices were moved up by one past MyTorch's leading Unflatten" : "");
        return (file, description);
    }

    /// <summary>The MLP's sizes: from the options where given, else from the file's 2-D weights and BatchNorm buffers, in key order.</summary>
    private static (int Inputs, int Outputs, int[] Hidden, int BatchNorm) MlpShape(StateDict tensors, ImportRequest request, bool mlp)
    {
        var weights = tensors.Where(p => p.Key.EndsWith(".weight", StringComparison.Ordinal) && p.Value.Rank == 2).Select(p => p.Value).ToArray();
        if (weights.Length == 0)
            throw new DataFormatException(request.From, "it holds no Linear weights (2-D tensors named <index>.weight)",
                expected: "the state dict of a torch.nn.Sequential of Linear layers", found: $"{tensors.Count} tensors: {MessageText.List(tensors.Keys.ToArray(), 3)}");
        int inputs = weights[0].Shape[1];
        int outputs = weights[^1].Shape[0];
        if (!mlp) return (inputs, outputs, [], 0);
        int[] hidden = request.Hidden ?? [.. weights[..^1].Select(w => w.Shape[0])];
        int batchNorm = request.BatchNorm ?? tensors.Keys.Count(k => k.EndsWith(".running_mean", StringComparison.Ordinal));
        return (inputs, outputs, hidden, Math.Min(batchNorm, hidden.Length));
    }

    /// <summary>
    /// A layer list with image layers starts with an Unflatten (MyTorch's models take flat features), so its
    /// parameters sit one index later than in a PyTorch Sequential that takes images: when the file's keys fit the
    /// model only moved up by one, they are renamed so (true); otherwise the keys are left as they are.
    /// </summary>
    private static bool ShiftedPastUnflatten(Sequential model, ref StateDict tensors)
    {
        if (model.Count == 0 || model[0] is not Unflatten) return false;
        var own = model.StateDict();
        var shifted = new StateDict();
        bool anyMissing = false;
        foreach (var (key, value) in tensors)
        {
            int dot = key.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0 || !int.TryParse(key.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out int index)) return false;
            string moved = (index + 1).ToString(CultureInfo.InvariantCulture) + key[dot..];
            bool counter = key.EndsWith("." + PyTorchStateDict.BatchCounterLeaf, StringComparison.Ordinal);
            if (!counter && !own.ContainsKey(moved)) return false;
            anyMissing |= !counter && !own.ContainsKey(key);
            shifted.Add(moved, value);
        }
        if (!anyMissing) return false;
        tensors = shifted;
        return true;
    }

    /// <summary>The input transform for a --normalize value: none, scale (by 255), scale:D, standardize:MEAN,STD.</summary>
    /// <exception cref="ArgumentException">The value is none of those.</exception>
    public static InputNormalizer Normalizer(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Split(':', 2);
        double[] numbers = parts.Length == 2 ? ParseNumbers(parts[1], text) : [];
        switch (parts[0])
        {
            case "none" when parts.Length == 1: return InputNormalizer.Scale(1);
            case "scale" when numbers.Length <= 1 && numbers.All(n => n > 0): return InputNormalizer.Scale(numbers.Length == 0 ? 255 : numbers[0]);
            case "standardize" when numbers.Length == 2 && numbers[1] > 0:
                // Two values MEAN - STD and MEAN + STD have exactly that population mean and std.
                return InputNormalizer.Standardize().Fit(Tensor.FromArray(new[] { numbers[0] - numbers[1], numbers[0] + numbers[1] }));
            default:
                throw new ArgumentException($"Invalid value {MessageText.Quote(text, 64)} for option --normalize: expected none, scale (divide by 255), scale:D or standardize:MEAN,STD.");
        }
    }

    private static double[] ParseNumbers(string text, string whole)
    {
        var values = new List<double>();
        foreach (var part in text.Split(','))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                throw new ArgumentException($"Invalid value {MessageText.Quote(whole, 64)} for option --normalize: {MessageText.Quote(part, 32)} is not a finite number.");
            values.Add(value);
        }
        return [.. values];
    }
}
