using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MyTorch.Tests.Onnx;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>
/// <c>mytorch export --onnx</c> and eval/predict of ONNX files: the exported graph takes predict's raw inputs and gives
/// what predict prints, in ONNX Runtime and in MyTorch's importer, for regression, binary and multi-class models.
/// </summary>
public sealed class OnnxCliTests
{
    private const double Tolerance = 1e-5;

    private static string Fixture(string name) => Path.Combine(CliRunner.RepositoryRoot, "tests", "reference", "fixtures", "onnx", name);

    private static void Ok(CliRunner.Result result) => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Error}{result.Output}");

    private static double[][] Rows(string csv) => csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
        .Select(line => line.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();

    private static void AssertSameRows(string expected, string actual, int skipColumns = 0)
    {
        var e = Rows(expected);
        var a = Rows(actual);
        Assert.Equal(e.Length, a.Length);
        for (int r = 0; r < e.Length; r++)
            for (int c = skipColumns; c < e[r].Length; c++)
                Assert.True(Math.Abs(e[r][c] - a[r][c]) <= 2e-6 + Tolerance * Math.Abs(e[r][c]), $"row {r} column {c}: {a[r][c]} vs {e[r][c]}");
    }

    private static void AssertSameEval(string expected, string actual)
    {
        using var e = JsonDocument.Parse(expected);
        using var a = JsonDocument.Parse(actual);
        AssertSameNumbers(e.RootElement, a.RootElement, "");
    }

    /// <summary>Every number of <paramref name="expected"/>, at any depth (per-target metrics are objects), is in <paramref name="actual"/> too.</summary>
    private static void AssertSameNumbers(JsonElement expected, JsonElement actual, string path)
    {
        foreach (var property in expected.EnumerateObject())
        {
            string name = path + property.Name;
            Assert.True(actual.TryGetProperty(property.Name, out var other), $"{name} is missing");
            if (property.Value.ValueKind == JsonValueKind.Object) { AssertSameNumbers(property.Value, other, name + "."); continue; }
            if (property.Value.ValueKind != JsonValueKind.Number) continue;
            double x = property.Value.GetDouble(), y = other.GetDouble();
            Assert.True(Math.Abs(x - y) <= Tolerance * Math.Max(1, Math.Abs(x)), $"{name}: {y} vs {x}");
        }
    }

    /// <summary>The CSV's feature columns as the float32 matrix predict reads.</summary>
    private static Tensor Features(string csv, int columns)
    {
        var rows = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',').Take(columns).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        return Tensor.FromArray(rows.SelectMany(r => r).ToArray(), [rows.Length, columns]);
    }

    private static Tensor Column(string predictCsv, int skip) =>
        Tensor.FromArray(Rows(predictCsv).SelectMany(r => r.Skip(skip)).ToArray(), [Rows(predictCsv).Length, Rows(predictCsv)[0].Length - skip]);

    private static void CheckWithOnnxPackage(string file)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(CliRunner.RepositoryRoot, "tests", "reference", "check_onnx.py"));
        start.ArgumentList.Add(file);
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return; // no Python here: ONNX Runtime's checks above stand alone
        }
        using (process)
        {
            string output = process!.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 3) return; // python3-onnx is not installed
            Assert.True(process.ExitCode == 0, output);
        }
    }

    [Fact]
    public void Regression_export_folds_the_scalers_and_the_output_constraint()
    {
        using var folder = new TempFolder();
        Ok(CliRunner.Run("train", "--data", "data/tabular/houses.csv", "--task", "regression", "--target", "price,age", "--hidden", "8",
            "--batchnorm", "1", "--output-activation", "relu", "--epochs", "1", "--json", "--out", folder["run"]));
        string model = folder["run/model.safetensors"], onnx = folder["model.onnx"];
        var export = CliRunner.Run("export", "--model", model, "--onnx", onnx);
        Ok(export);
        Assert.Contains("'values'", export.Output, StringComparison.Ordinal);
        File.WriteAllLines(folder["in.csv"], File.ReadAllLines(Path.Combine(CliRunner.RepositoryRoot, "data/tabular/houses.csv")).Take(40));

        var expected = CliRunner.Run("predict", "--model", model, "--input", folder["in.csv"]);
        Ok(expected);
        var viaOnnx = CliRunner.Run("predict", "--model", onnx, "--input", folder["in.csv"]);
        Ok(viaOnnx);
        Assert.Equal(expected.Output.Split('\n')[0], viaOnnx.Output.Split('\n')[0]);
        AssertSameRows(expected.Output, viaOnnx.Output);
        OnnxRuntimeHarness.AssertClose(Column(expected.Output, 0), OnnxRuntimeHarness.Run(File.ReadAllBytes(onnx), "input", Features(folder["in.csv"], 5)),
            Tolerance, "ONNX Runtime");

        var evalSaved = CliRunner.Run("eval", "--model", model, "--json");
        var evalOnnx = CliRunner.Run("eval", "--model", onnx, "--json");
        Ok(evalOnnx);
        AssertSameEval(evalSaved.Output, evalOnnx.Output);
        CheckWithOnnxPackage(onnx);
    }

    [Theory]
    [InlineData("bce")]
    [InlineData("ce")]
    public void Classifier_export_gives_predicts_probabilities(string loss)
    {
        using var folder = new TempFolder();
        Ok(CliRunner.Run("train", "--data", "data/tabular/diabetes-risk.csv", "--target", "label", "--loss", loss, "--hidden", "8,8",
            "--dropout", "0.2", "--activation", "gelu", "--epochs", "1", "--json", "--out", folder["run"]));
        string model = folder["run/model.safetensors"], onnx = folder["model.onnx"];
        Ok(CliRunner.Run("export", "--model", model, "--onnx", onnx));
        string input = Path.Combine(CliRunner.RepositoryRoot, "data/tabular/diabetes-risk.csv");
        var expected = CliRunner.Run("predict", "--model", model, "--input", input);
        var viaOnnx = CliRunner.Run("predict", "--model", onnx, "--input", input);
        Ok(viaOnnx);
        AssertSameRows(expected.Output, viaOnnx.Output);
        OnnxRuntimeHarness.AssertClose(Column(expected.Output, 1), OnnxRuntimeHarness.Run(File.ReadAllBytes(onnx), "input", Features(input, 6)),
            Tolerance, "ONNX Runtime");
        AssertSameEval(CliRunner.Run("eval", "--model", model, "--json").Output, CliRunner.Run("eval", "--model", onnx, "--json").Output);
        CheckWithOnnxPackage(onnx);
    }

    [Theory]
    [InlineData("--hidden", "16")]
    [InlineData("--model", "conv:4:3:p=same,bn,relu,maxpool:2,conv:4:3:s=2,avgpool:2:p=1,gap,flatten,dropout:0.1,linear")]
    public void Image_export_takes_raw_pixels(string modelOption, string value)
    {
        using var folder = new TempFolder();
        Ok(CliRunner.Run("train", "--data", "data/mnist-10k", modelOption, value, "--batchnorm", "1", "--epochs", "1", "--json", "--out", folder["run"]));
        string model = folder["run/model.safetensors"], onnx = folder["model.onnx"];
        var export = CliRunner.Run("export", "--model", model, "--onnx", onnx);
        Ok(export);
        Assert.Contains("pixel values 0-255", export.Output, StringComparison.Ordinal);
        var pixels = IO.Idx.Read(Path.Combine(CliRunner.RepositoryRoot, "data/mnist-10k/t10k-images-idx3-ubyte.gz")).Narrow(0, 0, 50).Reshape(50, 784);
        var loaded = Commands.LoadedModel.Load(model);
        Tensor expected;
        using (Autograd.NoGrad()) expected = loaded.Model.Call(loaded.Normalizer.Transform(pixels)).Softmax(1);
        OnnxRuntimeHarness.AssertClose(expected, OnnxRuntimeHarness.Run(File.ReadAllBytes(onnx), "input", pixels.To(DType.Float32)), Tolerance, "ONNX Runtime");
        AssertSameEval(CliRunner.Run("eval", "--model", model, "--json").Output, CliRunner.Run("eval", "--model", onnx, "--json").Output);
        CheckWithOnnxPackage(onnx);
    }

    [Fact]
    public void PyTorch_onnx_files_are_evaluated_and_predicted()
    {
        using var folder = new TempFolder();
        string onnx = Fixture("tabular_logits.onnx");
        var noData = CliRunner.Run("eval", "--model", onnx);
        Assert.Equal(2, noData.ExitCode);
        Assert.Contains("--data", noData.Error, StringComparison.Ordinal);
        var eval = CliRunner.Run("eval", "--model", onnx, "--data", "data/tabular/diabetes-risk.csv", "--json");
        Ok(eval);
        using (var json = JsonDocument.Parse(eval.Output)) Assert.Equal(200, json.RootElement.GetProperty("examples").GetInt32());

        string csv = Path.Combine(CliRunner.RepositoryRoot, "data/tabular/diabetes-risk.csv");
        File.WriteAllLines(folder["features.csv"], File.ReadAllLines(csv).Take(11).Select(l => string.Join(',', l.Split(',').Take(6))));
        var predict = CliRunner.Run("predict", "--model", onnx, "--input", folder["features.csv"]);
        Ok(predict);
        Assert.StartsWith("y0,y1", predict.Output, StringComparison.Ordinal);
        OnnxRuntimeHarness.AssertClose(OnnxRuntimeHarness.Run(File.ReadAllBytes(onnx), "input", Features(folder["features.csv"], 6)),
            Column(predict.Output, 0), Tolerance, "predict of a PyTorch file");
        var wrongColumns = CliRunner.Run("predict", "--model", onnx, "--input", csv);
        Assert.Equal(2, wrongColumns.ExitCode);
        Assert.Contains("6 features", wrongColumns.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_PyTorch_image_model_gets_the_pixel_rows_as_images()
    {
        using var folder = new TempFolder();
        string onnx = Fixture("mnist_cnn.onnx");
        var eval = CliRunner.Run("eval", "--model", onnx, "--data", "data/mnist-10k", "--json");
        Ok(eval);
        using (var json = JsonDocument.Parse(eval.Output)) Assert.Equal(2000, json.RootElement.GetProperty("examples").GetInt32());
        string images = Path.Combine(CliRunner.RepositoryRoot, "data/mnist-10k/t10k-images-idx3-ubyte.gz");
        var predict = CliRunner.Run("predict", "--model", onnx, "--input", images, "--output", folder["p.csv"]);
        Ok(predict);
        var pixels = IO.Idx.Read(images).Narrow(0, 0, 20).Reshape(20, 1, 28, 28).To(DType.Float32);
        var expected = OnnxRuntimeHarness.Run(File.ReadAllBytes(onnx), "input", pixels);
        var lines = File.ReadAllLines(folder["p.csv"]);
        Assert.Equal("y0,y1,y2,y3,y4,y5,y6,y7,y8,y9", lines[0]);
        OnnxRuntimeHarness.AssertClose(expected, Column(string.Join('\n', lines.Take(21)), 0), Tolerance, "predict of a PyTorch CNN");
    }

    [Fact]
    public void Bad_arguments_are_one_line_errors()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder["broken.onnx"], [0x0A, 0xFF, 0xFF, 0x01]);
        var broken = CliRunner.Run("eval", "--model", folder["broken.onnx"], "--data", "data/tabular/diabetes-risk.csv");
        Assert.Equal(2, broken.ExitCode);
        Assert.Contains("broken.onnx", broken.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", broken.Error, StringComparison.Ordinal);
        var missing = CliRunner.Run("predict", "--model", folder["none.onnx"], "--input", "x.csv");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--model", missing.Error, StringComparison.Ordinal);
        var noModel = CliRunner.Run("export", "--model", folder["none.safetensors"], "--onnx", folder["x.onnx"]);
        Assert.Equal(2, noModel.ExitCode);
        Assert.Contains("--model", noModel.Error, StringComparison.Ordinal);
    }
}
