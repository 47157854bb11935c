using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using MyTorch.Cli.Training;
using MyTorch.IO;

namespace MyTorch.Cli.Commands;

/// <summary><c>mytorch import</c>: a PyTorch state dict (.pt, .pth or safetensors) becomes a MyTorch model file.</summary>
public static class ImportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "the PyTorch file: torch.save(model.state_dict(), ...) (.pt, .pth) or safetensors.torch.save_file", Required = true };
        var spec = new Option<string>("--model") { Description = "the model the state dict belongs to, as mytorch train --model takes it: mlp (Linear, BatchNorm1d, activation, Dropout, shaped by --hidden), lenet5, cnn, or a layer list such as conv:32:3:p=1,relu,maxpool:2,flatten,linear", DefaultValueFactory = _ => "mlp" };
        var hidden = new Option<int[]?>("--hidden") { Description = "hidden layer sizes, comma-separated (default: read from the file's Linear weights)", CustomParser = ParseSizes };
        var activation = new Option<string>("--activation") { Description = "hidden activation", DefaultValueFactory = _ => "relu" };
        activation.AcceptOnlyFromAmong([.. MyTorch.NN.ActivationModules.Names]);
        var batchNorm = new Option<int?>("--batchnorm") { Description = "number of hidden layers (from the input) followed by BatchNorm1d (default: as many as the file has)" };
        var dropout = new Option<double>("--dropout") { Description = "dropout probability after each activation (a Dropout layer shifts the layer indices)" };
        var task = new Option<string>("--task") { Description = "classification or regression", DefaultValueFactory = _ => "classification" };
        task.AcceptOnlyFromAmong("classification", "regression");
        var data = new Option<string?>("--data") { Description = "the data the model is for, as mytorch train takes it (default mnist); a CSV gives the feature and target columns" };
        var target = new Option<string[]>("--target")
        {
            Description = "CSV target columns (regression) or label column (classification), comma-separated; default the last column",
            CustomParser = r => r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(),
            DefaultValueFactory = _ => [],
        };
        var normalize = new Option<string>("--normalize")
        {
            Description = "what the PyTorch model expects of raw inputs (pixels 0-255, the CSV's values): none, scale (x/255), scale:D, standardize:MEAN,STD",
            DefaultValueFactory = _ => "none",
        };
        var output = new Option<string>("--out") { Description = "the MyTorch model file to write (model.safetensors)", Required = true };
        var command = new Command("import", "Convert a PyTorch state dict into a MyTorch model file for eval and predict.")
        {
            from, spec, hidden, activation, batchNorm, dropout, task, data, target, normalize, output,
        };
        CommandLineErrors.AddRange(batchNorm, 0, "0 or more");
        command.SetAction(result => CommandLineErrors.Run(() =>
        {
            string outPath = result.GetValue(output)!;
            if (Directory.Exists(outPath))
                throw new ArgumentException($"Invalid value {MessageText.Quote(outPath, 200)} for option --out: it is a folder; expected a file name such as model.safetensors.", "--out");
            var request = new ImportRequest(result.GetValue(from)!, result.GetValue(spec)!, result.GetResult(hidden) is null ? null : result.GetValue(hidden), result.GetValue(activation)!,
                result.GetResult(batchNorm) is null ? null : result.GetValue(batchNorm), result.GetValue(dropout), result.GetValue(task)!, result.GetValue(data), result.GetValue(target)!,
                result.GetValue(normalize)!);
            var (file, description) = ModelImport.Convert(request);
            Safetensors.Save(outPath, file);
            Console.Out.WriteLine($"imported {MessageText.Clean(request.From, 200)}: {description}; wrote {MessageText.Clean(outPath, 200)}");
            return CommandLineErrors.Ok;
        }));
        return command;
    }

    private static int[]? ParseSizes(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
        var sizes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int size) || size <= 0)
            {
                result.AddError($"Invalid value '{text}' for option --hidden: expected positive layer sizes separated by commas, such as 256,128.");
                return null;
            }
            sizes.Add(size);
        }
        return [.. sizes];
    }
}
