using System.CommandLine;
using System.Globalization;
using System.Text;
using MyTorch.Cli.Training;
using MyTorch.Data;
using MyTorch.IO;
using MyTorch.NN;
using Spectre.Console;

namespace MyTorch.Cli.Commands;

/// <summary>A model loaded back from model.safetensors (or a checkpoint) with everything needed to use it.</summary>
public sealed record LoadedModel(Sequential Model, TrainConfig Config, int Inputs, int Classes, InputNormalizer Normalizer,
    TargetScaler? TargetScaler, string[] FeatureNames, string[] TargetNames)
{
    /// <summary>The full path of the data the model was trained on, when the file records it.</summary>
    public string? DataSource { get; init; }

    /// <summary>
    /// The --data to evaluate on when none is given: the training's --data as typed when it is found from here, else
    /// the full path the model file recorded; a relative path typed in another folder is the user's mistake to hear about.
    /// </summary>
    public string DefaultData()
    {
        string data = Config.Data;
        if (data is "mnist" or "fashion-mnist" || Path.IsPathRooted(data) || Path.Exists(data)) return data;
        if (DataSource is not null && Path.Exists(DataSource)) return DataSource;
        throw new FileNotFoundException(
            $"The model was trained on --data {MessageText.Quote(data, 200)}, which is not found from this folder ({MessageText.Clean(Directory.GetCurrentDirectory(), 200)})" +
            (DataSource is null ? "" : $" nor at {MessageText.Quote(DataSource, 200)}") + "; pass --data with the file or folder to evaluate on.");
    }

    /// <summary>
    /// Reads a file written by <c>mytorch train</c>. Everything is checked before the network is built: the
    /// configuration, its size against the file's, the transforms' shapes; then every tensor's name, dtype and shape.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The file is malformed or does not describe a consistent model (the message lists every mismatch).</exception>
    public static LoadedModel Load(string path)
    {
        var saved = Checkpoint.Read(path);
        var config = Checkpoint.Config(saved, path);
        int inputs = Checkpoint.MetadataInt(saved, "inputs", path);
        int classes = Checkpoint.MetadataInt(saved, "classes", path);
        var normalizer = Checkpoint.ReadInputNormalizer(saved, inputs, path);
        var scaler = config.IsRegression ? Checkpoint.ReadTargetScaler(saved, classes, path) : null;
        var features = Checkpoint.ReadNames(saved, "feature_names", inputs, path);
        var targets = Checkpoint.ReadNames(saved, "target_names", null, path);
        var model = ModelFactory.Build(config, inputs, ModelFactory.Outputs(config, classes), new Generator(config.Seed), scaler);
        Checkpoint.LoadModelTensors(model, saved, path);
        model.Eval();
        return new LoadedModel(model, config, inputs, classes, normalizer, scaler, features, targets) { DataSource = saved.Metadata.GetValueOrDefault("data_source") };
    }
}

/// <summary><c>mytorch eval</c> and <c>mytorch predict</c>.</summary>
public static class ModelCommands
{
    private static Option<string> ModelOption() => new("--model") { Description = "a model.safetensors (or checkpoint) written by mytorch train; eval and predict also take a model.onnx", Required = true };

    /// <summary><c>mytorch summary --model FILE</c>: every layer with its output shape and parameters, and the totals.</summary>
    public static Command Summary()
    {
        var model = ModelOption();
        var command = new Command("summary", "Print a trained model's layers, their output shapes and parameter counts.") { model };
        command.SetAction(result => CommandLineErrors.Run(() =>
        {
            var loaded = LoadedModel.Load(result.GetValue(model)!);
            Console.Out.Write(loaded.Model.Summary(1, loaded.Inputs).ToString());
            return CommandLineErrors.Ok;
        }));
        return command;
    }

    /// <summary><c>mytorch eval --model FILE [--data ...]</c>: test loss, accuracy and a confusion matrix.</summary>
    public static Command Eval()
    {
        var model = ModelOption();
        var data = new Option<string?>("--data") { Description = "data to evaluate on (default: the data the model was trained on); its test split is used" };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of tables" };
        var threads = ThreadsOption.Create();
        var command = new Command("eval", "Evaluate a trained model on the test split of a data set.") { model, data, json, threads };
        command.SetAction(result => CommandLineErrors.Run(() =>
        {
            ThreadsOption.Apply(result, threads);
            if (OnnxCommands.IsOnnx(result.GetValue(model)))
            {
                var (onnxResult, described, onnxTest) = OnnxCommands.Evaluate(result.GetValue(model)!, result.GetValue(data));
                if (result.GetValue(json)) PrintJson(onnxResult, described);
                else PrintTables(onnxResult, described, onnxTest);
                return CommandLineErrors.Ok;
            }
            var loaded = LoadedModel.Load(result.GetValue(model)!);
            var config = loaded.Config with { Data = result.GetValue(data) ?? loaded.DefaultData() };
            var prepared = DataPreparation.Prepare(config);
            if (prepared.Inputs != loaded.Inputs)
                throw new ArgumentException($"Invalid value '{config.Data}' for option --data: it has {prepared.Inputs} inputs but the model expects {loaded.Inputs}.", "--data");
            if (loaded.Config.IsRegression ? prepared.Classes != loaded.Classes : prepared.Classes > loaded.Classes)
                throw new ArgumentException($"Invalid value '{config.Data}' for option --data: it has {prepared.Classes} {(loaded.Config.IsRegression ? "targets" : "classes")} but the model has {loaded.Classes}.", "--data");
            var test = new TensorDataset(loaded.Normalizer.Transform(RawInputs(prepared)), prepared.Test.Targets);
            var evaluation = Evaluation.Evaluate(loaded.Model, ModelFactory.Criterion(loaded.Config), test, loaded.TargetScaler);
            if (result.GetValue(json)) PrintJson(evaluation, loaded);
            else PrintTables(evaluation, loaded, test);
            return CommandLineErrors.Ok;
        }));
        return command;
    }

    // The prepared test inputs were normalized with the transform fitted on this run's training split; the model
    // must use its own, so undo and redo. Both are affine, so this is exact up to rounding.
    private static Tensor RawInputs(PreparedData prepared) => prepared.Normalizer.InverseTransform(prepared.Test.Inputs);

    internal static void PrintJson(EvaluationResult evaluation, LoadedModel loaded)
    {
        var node = new System.Text.Json.Nodes.JsonObject { ["examples"] = evaluation.Count, ["loss"] = evaluation.Loss };
        if (loaded.Config.IsRegression)
        {
            node["mse"] = evaluation.MeanSquaredError;
            node["mae"] = evaluation.Error;
            node["targets"] = Reporting.Metrics.PerTarget(evaluation, loaded.TargetNames);
        }
        else { node["accuracy"] = evaluation.Accuracy; node["error"] = evaluation.Error; }
        Console.Out.WriteLine(node.ToJsonString());
    }

    internal static void PrintTables(EvaluationResult evaluation, LoadedModel loaded, TensorDataset test)
    {
        static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
        if (loaded.Config.IsRegression)
        {
            AnsiConsole.MarkupLine($"test on {evaluation.Count} examples, in each target's original units:");
            foreach (var line in Reporting.Metrics.PerTargetLines(evaluation, loaded.TargetNames)) AnsiConsole.WriteLine(line);
            return;
        }
        AnsiConsole.MarkupLine($"test: loss {F(evaluation.Loss)}, [bold]accuracy {(evaluation.Accuracy * 100).ToString("F2", CultureInfo.InvariantCulture)}%[/] on {evaluation.Count} examples");
        int classes = loaded.Classes;
        var truth = test.Targets.ToArray<long>();
        if (classes > MaxMatrixClasses)
        {
            PrintConfusions(evaluation, loaded, truth);
            return;
        }
        var matrix = new int[classes, classes];
        for (int i = 0; i < truth.Length; i++) matrix[truth[i], evaluation.Predictions[i]]++;
        var table = new Table().Border(TableBorder.Rounded).Title("confusion matrix (rows: true class, columns: predicted)");
        table.AddColumn("true \\ pred");
        for (int c = 0; c < classes; c++) table.AddColumn(new TableColumn(Name(loaded, c)).RightAligned());
        for (int r = 0; r < classes; r++)
        {
            var cells = new List<string> { Name(loaded, r) };
            for (int c = 0; c < classes; c++) cells.Add(r == c ? $"[green]{matrix[r, c]}[/]" : matrix[r, c] == 0 ? "[grey]0[/]" : $"[red]{matrix[r, c]}[/]");
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
    }

    // A wider matrix does not fit a terminal, and classes x classes counts would grow with the square of the class count.
    private const int MaxMatrixClasses = 20;

    /// <summary>The most frequent (true, predicted) pairs of mistakes, counted in one pass: linear in examples and classes.</summary>
    private static void PrintConfusions(EvaluationResult evaluation, LoadedModel loaded, long[] truth)
    {
        var counts = new Dictionary<(long True, long Predicted), int>();
        for (int i = 0; i < truth.Length; i++)
            if (truth[i] != evaluation.Predictions[i])
                counts[(truth[i], evaluation.Predictions[i])] = counts.GetValueOrDefault((truth[i], evaluation.Predictions[i])) + 1;
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"most frequent mistakes ({loaded.Classes} classes)");
        table.AddColumn("true");
        table.AddColumn("predicted");
        table.AddColumn(new TableColumn("count").RightAligned());
        foreach (var ((actual, predicted), count) in counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(10))
            table.AddRow(Name(loaded, (int)actual), Name(loaded, (int)predicted), count.ToString(CultureInfo.InvariantCulture));
        if (counts.Count == 0) table.AddRow("-", "-", "0");
        AnsiConsole.Write(table);
    }

    /// <summary>A class's name for a table: the saved target name, cleaned of control characters and cut, or its index.</summary>
    private static string Name(LoadedModel loaded, int c) => Markup.Escape(
        c < loaded.TargetNames.Length && loaded.TargetNames.Length == loaded.Classes ? MessageText.Clean(loaded.TargetNames[c], 24) : c.ToString(CultureInfo.InvariantCulture));

    /// <summary><c>mytorch predict --model FILE --input FILE</c>: outputs for new inputs, as CSV on stdout.</summary>
    public static Command Predict()
    {
        var model = ModelOption();
        var input = new Option<string>("--input")
        {
            Description = "a CSV file with the model's feature columns (a header row), an IDX images file, or for a digits model a PNG or JPEG image or a folder of them",
            Required = true,
        };
        var output = new Option<string?>("--output") { Description = "write the predictions to this CSV file instead of stdout" };
        var threads = ThreadsOption.Create();
        var command = new Command("predict", "Run a trained model on new inputs; regression outputs are in the targets' original units.") { model, input, output, threads };
        command.SetAction(result => CommandLineErrors.Run(() =>
        {
            ThreadsOption.Apply(result, threads);
            var path = result.GetValue(input)!;
            string text;
            if (OnnxCommands.IsOnnx(result.GetValue(model)))
                text = OnnxCommands.Predict(result.GetValue(model)!, path, ReadInputs);
            else
            {
                var loaded = LoadedModel.Load(result.GetValue(model)!);
                string[]? images = ImageFiles(path, loaded);
                var raw = images is null ? ReadInputs(path, loaded) : ImageInput.Read(images);
                var outputs = Evaluation.Predict(loaded.Model, loaded.Normalizer.Transform(raw));
                text = Format(outputs, loaded, images);
            }
            if (result.GetValue(output) is string file)
                CommandLineErrors.WriteOutputFile(file, "--output", stream => { using var writer = new StreamWriter(stream, leaveOpen: true); writer.Write(text); });
            else
                Console.Out.Write(text);
            return CommandLineErrors.Ok;
        }));
        return command;
    }

    /// <summary>The PNG or JPEG files --input names (one image, or a folder's images), or null for CSV and IDX input.</summary>
    private static string[]? ImageFiles(string path, LoadedModel loaded)
    {
        bool folder = Directory.Exists(path);
        if (!folder && !ImageInput.IsImage(path)) return null;
        if (!folder) CommandLineErrors.CheckFileOption(path, "--input", "a PNG or JPEG image");
        if (loaded.Inputs != ImageInput.Side * ImageInput.Side || loaded.Config.Data.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Invalid value {MessageText.Quote(path, 200)} for option --input: images are for models trained on 28x28 images (784 inputs); this model takes {loaded.Inputs} CSV features, so pass a CSV file.");
        var files = folder ? ImageInput.ImagesIn(path) : [path];
        if (files.Length == 0)
            throw new ArgumentException($"Invalid value {MessageText.Quote(path, 200)} for option --input: it is a folder with no .png, .jpg or .jpeg files; expected an image, a folder of images, a CSV or an IDX file.");
        return files;
    }

    internal static Tensor ReadInputs(string path, LoadedModel loaded)
    {
        CommandLineErrors.CheckFileOption(path, "--input", "a CSV file with the model's feature columns, or an IDX images file");
        if (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            var table = Csv.Read(path);
            var missing = loaded.FeatureNames.Where(f => !table.Header.Contains(f)).ToArray();
            if (missing.Length > 0)
                throw new DataFormatException(path,
                    $"{missing.Length} of the model's {loaded.FeatureNames.Length} feature columns are missing, among them {MessageText.Quote(missing[0], 32)}",
                    row: 1, column: missing[0], expected: $"the columns {MessageText.List(loaded.FeatureNames, 4)}", found: $"the columns {MessageText.List(table.Header, 4)}");
            var x = table.Columns(loaded.FeatureNames);
            CheckFinite(path, x);
            return x;
        }
        var images = Idx.Read(path);
        // Computed from the sizes, not the count: with no examples the sizes need not fit an int.
        long perExample = 1;
        for (int d = 1; d < images.Rank; d++) perExample = Math.Min(perExample * images.Shape[d], long.MaxValue / int.MaxValue);
        if (images.Rank < 1 || perExample != loaded.Inputs)
            throw new DataFormatException(path, "the examples have the wrong size for the model", offset: 3,
                expected: $"(count, ...) with {loaded.Inputs} values per example", found: $"shape ({string.Join(", ", images.Shape.ToArray())})");
        var flat = images.Reshape(images.Shape[0], loaded.Inputs);
        CheckFinite(path, flat);
        return flat;
    }

    /// <summary>NaN or infinity in an input file (rows of shape (n, inputs)) is an error naming the row, not a NaN prediction.</summary>
    private static void CheckFinite(string path, Tensor inputs)
    {
        if (inputs.AllFinite()) return;
        var values = inputs.ToArray<double>();
        int width = inputs.Shape[1];
        int index = Array.FindIndex(values, v => !double.IsFinite(v));
        double value = values[index];
        string kind = double.IsNaN(value) ? "NaN" : value > 0 ? "+infinity" : "-infinity";
        throw new DataFormatException(path, $"example row {index / width} (0-based) holds {kind} at column {index % width}; predictions need finite inputs",
            expected: "finite numbers", found: kind);
    }

    /// <summary>
    /// A name from the model file as one CSV field of the output: control characters escaped (so neither the terminal
    /// nor a later reader sees an escape sequence or a line break), then quoted when it holds a comma, a quote or
    /// surrounding spaces.
    /// </summary>
    internal static string CsvField(string name)
    {
        string clean = MessageText.Clean(name, 200);
        bool quote = clean.Length == 0 || clean.AsSpan().IndexOfAny(',', '"') >= 0 || char.IsWhiteSpace(clean[0]) || char.IsWhiteSpace(clean[^1]);
        return quote ? "\"" + clean.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : clean;
    }

    private static string Format(Tensor outputs, LoadedModel loaded, string[]? files = null)
    {
        if (files is not null)
        {
            // One row per image, the file's name first, so a folder's predictions say which is which.
            var lines = Format(outputs, loaded).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var named = new StringBuilder().Append("file,").AppendLine(lines[0].TrimEnd('\r'));
            for (int r = 1; r < lines.Length; r++) named.Append(CsvField(Path.GetFileName(files[r - 1]))).Append(',').AppendLine(lines[r].TrimEnd('\r'));
            return named.ToString();
        }
        var text = new StringBuilder();
        int rows = outputs.Shape[0];
        if (loaded.Config.IsRegression)
        {
            var values = loaded.TargetScaler!.InverseTransform(outputs).ToArray<double>();
            int k = outputs.Shape[1];
            text.AppendLine(string.Join(',', (loaded.TargetNames.Length == k ? loaded.TargetNames : Enumerable.Range(0, k).Select(i => $"y{i}")).Select(CsvField)));
            for (int r = 0; r < rows; r++)
                text.AppendLine(string.Join(',', Enumerable.Range(0, k).Select(c => values[r * k + c].ToString("R", CultureInfo.InvariantCulture))));
            return text.ToString();
        }
        var probabilities = (outputs.Shape[1] == 1 ? Tensor.Concat([1 - outputs.Sigmoid(), outputs.Sigmoid()], 1) : outputs.Softmax(1)).ToArray<double>();
        int classes = probabilities.Length / Math.Max(rows, 1);
        var predicted = Evaluation.Classes(outputs).ToArray<long>();
        text.Append("prediction");
        for (int c = 0; c < classes; c++) text.Append(",p").Append(c.ToString(CultureInfo.InvariantCulture));
        text.AppendLine();
        for (int r = 0; r < rows; r++)
        {
            text.Append(predicted[r].ToString(CultureInfo.InvariantCulture));
            for (int c = 0; c < classes; c++) text.Append(',').Append(probabilities[r * classes + c].ToString("F6", CultureInfo.InvariantCulture));
            text.AppendLine();
        }
        return text.ToString();
    }
}
