using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MyTorch.Cli.Training;
using MyTorch.Data;
using MyTorch.IO;
using MyTorch.NN;
using MyTorch.Onnx;

namespace MyTorch.Cli.Commands;

/// <summary>
/// <c>mytorch export --onnx</c>, and <c>eval</c> / <c>predict</c> of an ONNX file. The exported model takes the raw
/// inputs <c>predict</c> reads (pixel values 0-255 as float32, or a CSV's feature columns) with the input normalization
/// folded in, and gives what <c>predict</c> prints: class probabilities, or regression values in original units.
/// </summary>
public static class OnnxCommands
{
    /// <summary>The graph input's name.</summary>
    public const string InputName = "input";

    /// <summary>The output's name for classifiers: (batch, classes) probabilities.</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>The output's name for regression: (batch, targets) values in the targets' original units.</summary>
    public const string ValuesName = "values";

    private const string Prefix = "mytorch.";

    /// <summary>Whether <paramref name="path"/> names an ONNX file (by its extension), for eval and predict.</summary>
    public static bool IsOnnx(string? path) => path is not null && path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>mytorch export --onnx FILE --model MODEL</c>.</summary>
    public static Command Export()
    {
        var model = new Option<string>("--model") { Description = "a model.safetensors (or checkpoint) written by mytorch train", Required = true };
        var onnx = new Option<string>("--onnx") { Description = "the ONNX file to write (opset 17)", Required = true };
        var command = new Command("export", "Export a trained model to ONNX, with its input normalization folded in (docs/onnx.md).") { model, onnx };
        command.SetAction(result => CommandLineErrors.Run(() =>
        {
            var loaded = LoadedModel.Load(result.GetValue(model)!);
            string path = result.GetValue(onnx)!;
            if (Directory.Exists(path))
                throw new ArgumentException($"Invalid value {MessageText.Quote(path, 200)} for option --onnx: it is a folder; expected the ONNX file to write.", "--onnx");
            var bytes = ToOnnx(loaded);
            try
            {
                AtomicFile.Write(path, stream => stream.Write(bytes));
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"Invalid value {MessageText.Quote(path, 200)} for option --onnx: it cannot be written ({error.Message}).", "--onnx", error);
            }
            string output = loaded.Config.IsRegression ? ValuesName : ProbabilitiesName;
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {path} (ONNX opset {OnnxExport.Opset}, {bytes.Length:N0} bytes): input '{InputName}' float32 (batch, {loaded.Inputs}) of raw {InputKind(loaded)}; " +
                $"output '{output}' float32 (batch, {OutputWidth(loaded)}) {(loaded.Config.IsRegression ? "in the targets' original units" : "class probabilities")}"));
            return CommandLineErrors.Ok;
        }));
        return command;
    }

    private static string InputKind(LoadedModel loaded) =>
        loaded.Config.Data.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? "feature values" : "pixel values 0-255";

    private static int OutputWidth(LoadedModel loaded) => loaded.Config.IsRegression ? loaded.Classes : Math.Max(loaded.Classes, 2);

    /// <summary>The ONNX bytes for a loaded model: normalization, network, and probabilities or original-unit values.</summary>
    public static byte[] ToOnnx(LoadedModel loaded)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        bool regression = loaded.Config.IsRegression;
        var options = new OnnxExportOptions
        {
            InputName = InputName,
            OutputName = regression ? ValuesName : ProbabilitiesName,
            GraphName = "mytorch-" + loaded.Config.Data,
            OutputFeatureShape = [OutputWidth(loaded)],
            Preprocess = (g, x) => Normalize(g, loaded.Normalizer, x),
            Postprocess = regression
                ? (g, y) => OnnxScaling.Inverse(g, loaded.TargetScaler!, y, "target_scaler")
                : (g, y) => Probabilities(g, y, ModelFactory.Outputs(loaded.Config, loaded.Classes) == 1),
            DocString = $"Trained by mytorch on {loaded.Config.Data}. Input '{InputName}': (batch, {loaded.Inputs}) raw {InputKind(loaded)}, " +
                $"in the order of the metadata's feature_names. Output '{(regression ? ValuesName : ProbabilitiesName)}': " +
                (regression ? "values in the targets' original units." : "class probabilities, as mytorch predict prints them."),
        };
        options.Metadata[Prefix + "task"] = loaded.Config.Task;
        options.Metadata[Prefix + "output"] = regression ? "values" : "probabilities";
        options.Metadata[Prefix + "config"] = loaded.Config.ToJson();
        options.Metadata[Prefix + "inputs"] = loaded.Inputs.ToString(CultureInfo.InvariantCulture);
        options.Metadata[Prefix + "classes"] = loaded.Classes.ToString(CultureInfo.InvariantCulture);
        options.Metadata[Prefix + "feature_names"] = JsonSerializer.Serialize(loaded.FeatureNames);
        options.Metadata[Prefix + "target_names"] = JsonSerializer.Serialize(loaded.TargetNames);
        return OnnxExport.ToOnnxBytes(loaded.Model, Tensor.Zeros([1, loaded.Inputs]), options);
    }

    private static string Normalize(OnnxGraphBuilder g, InputNormalizer normalizer, string x)
    {
        if (normalizer.Divisor is double divisor)
            return g.Add("Div", [x, g.Scalar(divisor, "input_normalizer.divisor")], "input_normalizer/Div");
        var centered = g.Add("Sub", [x, g.Constant(normalizer.Mean!, "input_normalizer.mean")], "input_normalizer/Sub");
        return g.Add("Div", [centered, g.Constant(normalizer.Std!, "input_normalizer.std")], "input_normalizer/Div");
    }

    // As predict prints them: softmax over the logits, or [1 - sigmoid, sigmoid] for one binary logit.
    private static string Probabilities(OnnxGraphBuilder g, string logits, bool oneLogit)
    {
        if (oneLogit)
        {
            var p = g.Add("Sigmoid", [logits], "probabilities/Sigmoid");
            var q = g.Add("Sub", [g.Scalar(1, "probabilities.one"), p], "probabilities/Sub");
            return g.Add("Concat", [q, p], "probabilities/Concat", ("axis", 1L));
        }
        return g.Add("Softmax", [logits], "probabilities/Softmax", ("axis", 1L));
    }

    /// <summary>Reads an ONNX file for eval or predict, with errors that name the file and the --model option.</summary>
    public static OnnxModel Load(string path)
    {
        CommandLineErrors.CheckFileOption(path, "--model", "a model.onnx, or a model.safetensors written by mytorch train");
        try
        {
            return OnnxModel.Load(path);
        }
        catch (Exception error) when (error is InvalidDataException or NotSupportedException or OverflowException)
        {
            throw new DataFormatException(path, error.Message.Replace(path + ": ", "", StringComparison.Ordinal), innerException: error);
        }
    }

    /// <summary>
    /// The pieces of a <see cref="LoadedModel"/> that eval and predict use, from an ONNX file: MyTorch's metadata when the
    /// file has it, else a classifier (its outputs taken as logits) of the data's classes, with the CSV's columns as features.
    /// The network slot is empty: the ONNX graph is run instead.
    /// </summary>
    private static (LoadedModel Loaded, bool Probabilities) Describe(OnnxModel model, string path, string? data)
    {
        var meta = model.Metadata;
        // Rows of features: (batch, N), or an image input such as (batch, 1, 28, 28) fed the rows reshaped.
        var trailing = model.InputShape.Skip(1).ToArray();
        int inputs = model.InputShape.Count >= 2 && trailing.All(d => d is > 0) ? trailing.Aggregate(1, (a, d) => checked(a * d!.Value)) : -1;
        TrainConfig config;
        if (meta.TryGetValue(Prefix + "config", out var json))
        {
            try
            {
                config = TrainConfig.FromJson(json).Validate();
            }
            catch (Exception error) when (error is JsonException or ArgumentException or NotSupportedException or InvalidOperationException)
            {
                throw new DataFormatException(path, $"its mytorch.config metadata is invalid: {error.Message}");
            }
        }
        else config = new TrainConfig { Data = data ?? "" };
        string[] Names(string key) => meta.TryGetValue(Prefix + key, out var names) ? JsonSerializer.Deserialize<string[]>(names) ?? [] : [];
        int classes = meta.TryGetValue(Prefix + "classes", out var c) && int.TryParse(c, CultureInfo.InvariantCulture, out int n) ? n : -1;
        var loaded = new LoadedModel(new Sequential(), config, inputs, classes, InputNormalizer.Scale(1),
            config.IsRegression ? new IdentityScaler() : null, Names("feature_names"), Names("target_names"));
        return (loaded, meta.GetValueOrDefault(Prefix + "output") is "probabilities" or "values");
    }

    /// <summary>The graph's outputs for raw inputs, in batches.</summary>
    private static Tensor Run(OnnxModel model, Tensor raw)
    {
        var x = raw.DType == model.InputDType ? raw : raw.To(model.InputDType);
        if (model.InputShape.Count > 2 && model.InputShape.Skip(1).All(d => d is > 0))
            x = x.Reshape([x.Shape[0], .. model.InputShape.Skip(1).Select(d => d!.Value)]);
        var parts = new List<Tensor>();
        const int batch = 1024;
        for (int start = 0; start < x.Shape[0]; start += batch)
            parts.Add(model.Run(x.Narrow(0, start, Math.Min(batch, x.Shape[0] - start))));
        if (parts.Count == 0) return model.Run(x);
        return parts.Count == 1 ? parts[0] : Tensor.Concat(parts, 0);
    }

    /// <summary>
    /// <c>mytorch eval --model model.onnx</c>: the test split of the data the file's metadata names (or <paramref name="data"/>),
    /// through the graph. Classification: accuracy and the loss -log p(true class); regression: errors in original units.
    /// </summary>
    internal static (EvaluationResult Result, LoadedModel Loaded, TensorDataset Test) Evaluate(string path, string? data)
    {
        var model = Load(path);
        var (loaded, madeByMyTorch) = Describe(model, path, data);
        if (loaded.Config.Data.Length == 0)
            throw new ArgumentException($"Invalid value {MessageText.Quote(path, 200)} for option --model: this ONNX file does not say which data it was trained on; pass --data.", nameof(data));
        var prepared = DataPreparation.Prepare(loaded.Config);
        if (loaded.Inputs >= 0 && prepared.Inputs != loaded.Inputs)
            throw new ArgumentException($"Invalid value '{loaded.Config.Data}' for option --data: it has {prepared.Inputs} inputs but the model expects {loaded.Inputs}.", nameof(data));
        var raw = prepared.Normalizer.InverseTransform(prepared.Test.Inputs);
        var outputs = Run(model, raw);
        using var _ = Autograd.NoGrad();
        int count = prepared.Test.Count;
        if (loaded.Config.IsRegression)
        {
            var scaler = prepared.TargetScaler!;
            var difference = outputs - scaler.InverseTransform(prepared.Test.Targets);
            double loss = (scaler.Transform(outputs) - prepared.Test.Targets).Square().Mean().Item();
            var mae = difference.Abs().Mean(0).ToArray<float>();
            var rmse = difference.Square().Mean(0).Sqrt().ToArray<float>();
            var result = new EvaluationResult(loss, difference.Abs().Mean().Item(), difference.Square().Mean().Item(), [], count)
            {
                PerTarget = [.. mae.Select((m, t) => new TargetError(m, rmse[t]))],
            };
            var named = loaded with { Classes = prepared.Classes, TargetScaler = scaler };
            return (result, named, prepared.Test);
        }
        var probabilities = madeByMyTorch ? outputs : outputs.Shape[^1] == 1 ? Tensor.Concat([1 - outputs.Sigmoid(), outputs.Sigmoid()], 1) : outputs.Softmax(1);
        int classes = probabilities.Shape[^1];
        if (prepared.Classes > classes)
            throw new ArgumentException($"Invalid value '{loaded.Config.Data}' for option --data: it has {prepared.Classes} classes but the model has {classes}.", nameof(data));
        var predicted = probabilities.ArgMax(1);
        var truth = prepared.Test.Targets.Reshape(-1);
        double nll = -probabilities.Clamp(1e-30, null).Log().Gather(1, truth.Reshape(-1, 1)).Mean().Item();
        double error = 1 - predicted.Eq(truth).Sum().Item() / Math.Max(count, 1);
        return (new EvaluationResult(nll, error, double.NaN, predicted.ToArray<long>(), count), loaded with { Classes = classes }, prepared.Test);
    }

    /// <summary><c>mytorch predict --model model.onnx</c>: the CSV <c>predict</c> prints, from the graph's outputs.</summary>
    internal static string Predict(string path, string inputPath, Func<string, LoadedModel, Tensor> readInputs)
    {
        var model = Load(path);
        var (loaded, madeByMyTorch) = Describe(model, path, null);
        if (loaded.Inputs < 0)
            throw new DataFormatException(path, "its input has no fixed size after the batch; mytorch predict feeds rows of features",
                expected: "an input of shape (batch, N) or (batch, C, H, W) with fixed sizes", found: $"rank {model.InputShape.Count}");
        if (loaded.FeatureNames.Length == 0 && inputPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            // A file without MyTorch's metadata: the CSV's columns, in order, are the features.
            CommandLineErrors.CheckFileOption(inputPath, "--input", "a CSV file with the model's feature columns, or an IDX images file");
            var header = Csv.Read(inputPath).Header;
            if (header.Length != loaded.Inputs)
                throw new DataFormatException(inputPath,
                    $"the ONNX model names no feature columns, so every column is a feature, but the model takes {loaded.Inputs} features",
                    row: 1, expected: $"{loaded.Inputs} columns", found: $"{header.Length} columns ({MessageText.List(header, 4)})");
            loaded = loaded with { FeatureNames = [.. header] };
        }
        var outputs = Run(model, readInputs(inputPath, loaded));
        var text = new StringBuilder();
        int rows = outputs.Shape[0], k = outputs.Shape[^1];
        var values = outputs.To(DType.Float64).ToArray<double>();
        if (!madeByMyTorch || loaded.Config.IsRegression)
        {
            var names = loaded.TargetNames.Length == k ? loaded.TargetNames : Enumerable.Range(0, k).Select(i => $"y{i}").ToArray();
            text.AppendLine(string.Join(',', names.Select(ModelCommands.CsvField)));
            for (int r = 0; r < rows; r++)
                text.AppendLine(string.Join(',', Enumerable.Range(0, k).Select(c => values[r * k + c].ToString("R", CultureInfo.InvariantCulture))));
            return text.ToString();
        }
        var predicted = outputs.ArgMax(1).ToArray<long>();
        text.Append("prediction");
        for (int c = 0; c < k; c++) text.Append(",p").Append(c.ToString(CultureInfo.InvariantCulture));
        text.AppendLine();
        for (int r = 0; r < rows; r++)
        {
            text.Append(predicted[r].ToString(CultureInfo.InvariantCulture));
            for (int c = 0; c < k; c++) text.Append(',').Append(values[r * k + c].ToString("F6", CultureInfo.InvariantCulture));
            text.AppendLine();
        }
        return text.ToString();
    }
}

/// <summary>A target scaler's transform and its inverse as ONNX nodes, with the scaler's own order of operations.</summary>
internal static class OnnxScaling
{
    /// <summary>(y - shift) / scale: the scaler's Transform.</summary>
    public static string Transform(OnnxGraphBuilder g, TargetScaler scaler, string y, string path)
    {
        var (shift, scale) = Parameters(scaler);
        if (shift is null) return y;
        var centered = g.Add("Sub", [y, g.Constant(shift, path + ".shift")], path + "/Sub");
        return g.Add("Div", [centered, g.Constant(scale!, path + ".scale")], path + "/Div");
    }

    /// <summary>z * scale + shift: the scaler's InverseTransform.</summary>
    public static string Inverse(OnnxGraphBuilder g, TargetScaler scaler, string z, string path)
    {
        var (shift, scale) = Parameters(scaler);
        if (shift is null) return z;
        var scaled = g.Add("Mul", [z, g.Constant(scale!, path + ".scale")], path + "/Mul");
        return g.Add("Add", [scaled, g.Constant(shift, path + ".shift")], path + "/Add");
    }

    private static (Tensor? Shift, Tensor? Scale) Parameters(TargetScaler scaler) => scaler switch
    {
        StandardScaler standard => (standard.Mean, standard.Std),
        MinMaxScaler minMax => (minMax.Min, minMax.Range),
        IdentityScaler => (null, null),
        _ => throw new NotSupportedException($"ONNX export: the target scaler '{scaler.Name}' has no ONNX form."),
    };
}
