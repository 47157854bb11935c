using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using MyTorch.IO;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>
/// <c>mytorch import</c> on files written by Debian's PyTorch (tests/reference/generate_pytorch_files.py): the model
/// file it writes is accepted by eval, predict and summary, and predict gives PyTorch's outputs.
/// </summary>
public sealed class ImportCommandTests
{
    private static string Fixture(string name) => Path.Combine(CliRunner.RepositoryRoot, "tests", "reference", "fixtures", "pytorch-files", name);

    private static JsonElement Json(string name) => JsonDocument.Parse(File.ReadAllText(Fixture(name))).RootElement;

    private static double[] Data(JsonElement spec) => [.. spec.GetProperty("data").EnumerateArray().Select(e => e.GetDouble())];

    private static void AssertCleanError(CliRunner.Result result, params string[] fragments)
    {
        Assert.True(result.ExitCode == 2, $"exit code {result.ExitCode}, expected 2; stderr: {result.Error}");
        foreach (var fragment in fragments) Assert.Contains(fragment, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    private static double[][] Probabilities(string csv) =>
        [.. csv.Trim().Split('\n').Skip(1).Select(line => line.Split(',').Skip(1).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())];

    [Fact]
    public void AnMnistMlpFromTorchSave_PredictsWhatPyTorchDoes()
    {
        using var folder = new TempFolder();
        var import = CliRunner.Run("import", "--from", Fixture("mnist-mlp.pt"), "--normalize", "scale", "--out", folder["model.safetensors"]);
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Contains("784 inputs, hidden (16), 10 outputs", import.Output, StringComparison.Ordinal);

        AssertPredictsLikePyTorch(folder, "mnist-mlp.json");

        Assert.Equal(0, CliRunner.Run("eval", "--model", folder["model.safetensors"], "--json").ExitCode);
        Assert.Contains("12,730", CliRunner.Run("summary", "--model", folder["model.safetensors"]).Output, StringComparison.Ordinal);
    }

    /// <summary>predict on the first 8 MNIST test images (raw pixels; the model file divides by 255) gives the fixture's probabilities.</summary>
    private static void AssertPredictsLikePyTorch(TempFolder folder, string expected)
    {
        using (var gz = new GZipStream(File.OpenRead(Path.Combine(CliRunner.RepositoryRoot, "data", "mnist-10k", "t10k-images-idx3-ubyte.gz")), CompressionMode.Decompress))
        {
            var head = new byte[16 + 8 * 784];
            gz.ReadExactly(head);
            head[4] = head[5] = head[6] = 0;
            head[7] = 8;
            File.WriteAllBytes(folder["images.idx"], head);
        }
        var predict = CliRunner.Run("predict", "--model", folder["model.safetensors"], "--input", folder["images.idx"]);
        Assert.True(predict.ExitCode == 0, predict.Error);
        var ours = Probabilities(predict.Output);
        var theirs = Data(Json(expected).GetProperty("probabilities"));
        Assert.Equal(8, ours.Length);
        for (int i = 0; i < 8; i++)
            for (int c = 0; c < 10; c++)
                Assert.True(Math.Abs(ours[i][c] - theirs[i * 10 + c]) < 1e-5, $"image {i} class {c}: {ours[i][c]} vs PyTorch's {theirs[i * 10 + c]}");
    }

    [Fact]
    public void ACnnWithBatchNorm2dFromTorchSave_PredictsWhatPyTorchDoes()
    {
        using var folder = new TempFolder();
        var import = CliRunner.Run("import", "--from", Fixture("cnn.pt"), "--model", "conv:4:5:p=2,bn,relu,maxpool:2,conv:8:5,relu,maxpool:2,flatten,linear",
            "--normalize", "scale", "--out", folder["model.safetensors"]);
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Contains("moved up by one past MyTorch's leading Unflatten", import.Output, StringComparison.Ordinal);
        AssertPredictsLikePyTorch(folder, "cnn.json");
        Assert.Equal(0, CliRunner.Run("eval", "--model", folder["model.safetensors"], "--json").ExitCode);

        AssertCleanError(CliRunner.Run("import", "--from", Fixture("cnn.pt"), "--model", "conv:4:3,relu,flatten,linear", "--out", folder["x.safetensors"]),
            "do not fit the --model spec");
        AssertCleanError(CliRunner.Run("import", "--from", Fixture("cnn.pt"), "--model", "lenet5", "--hidden", "8", "--out", folder["x.safetensors"]),
            "--hidden, --batchnorm and --dropout shape --model mlp only");
    }

    [Theory]
    [InlineData("mlp.pt")]
    [InlineData("mlp.safetensors")]
    public void ACsvMlpWithBatchNorm_PredictsWhatPyTorchDoes(string file)
    {
        using var folder = new TempFolder();
        var expected = Json("mlp.json");
        var x = Data(expected.GetProperty("x"));
        var header = "a,b,c,d,e,f";
        var data = new StringBuilder(header + ",label\n");
        for (int row = 0; row < 30; row++)
            data.AppendLine(string.Join(',', Enumerable.Range(0, 6).Select(c => ((row * 7 + c * 3) % 11 - 5).ToString(CultureInfo.InvariantCulture))) + "," + (row % 3).ToString(CultureInfo.InvariantCulture));
        File.WriteAllText(folder["data.csv"], data.ToString());
        var inputs = new StringBuilder(header + "\n");
        for (int row = 0; row < 4; row++) inputs.AppendLine(string.Join(',', x.Skip(row * 6).Take(6).Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        File.WriteAllText(folder["inputs.csv"], inputs.ToString());

        var import = CliRunner.Run("import", "--from", Fixture(file), "--data", folder["data.csv"], "--out", folder["model.safetensors"]);
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Contains("6 inputs, hidden (8, 5), 3 outputs", import.Output, StringComparison.Ordinal);
        var predict = CliRunner.Run("predict", "--model", folder["model.safetensors"], "--input", folder["inputs.csv"]);
        Assert.True(predict.ExitCode == 0, predict.Error);
        var ours = Probabilities(predict.Output);
        var logits = Data(expected.GetProperty("y"));
        for (int row = 0; row < 4; row++)
        {
            var z = logits.Skip(row * 3).Take(3).ToArray();
            double sum = z.Sum(v => Math.Exp(v - z.Max()));
            for (int c = 0; c < 3; c++)
                Assert.True(Math.Abs(ours[row][c] - Math.Exp(z[c] - z.Max()) / sum) < 1e-5, $"row {row} class {c}");
        }
        Assert.Equal(0, CliRunner.Run("eval", "--model", folder["model.safetensors"]).ExitCode);
    }

    [Fact]
    public void ARegressionModel_PredictsInTheTargetsUnitsWithNoScaling()
    {
        using var folder = new TempFolder();
        var model = new MyTorch.NN.Sequential(new MyTorch.NN.Linear(5, 4, generator: new Generator(3)), new MyTorch.NN.Tanh(),
            new MyTorch.NN.Linear(4, 2, generator: new Generator(4)));
        Safetensors.Save(folder["houses.safetensors"], PyTorchStateDict.ToPyTorch(model));
        string data = Path.Combine(CliRunner.RepositoryRoot, "data", "tabular", "houses.csv");
        var import = CliRunner.Run("import", "--from", folder["houses.safetensors"], "--activation", "tanh", "--task", "regression",
            "--data", data, "--target", "price,age", "--out", folder["model.safetensors"]);
        Assert.True(import.ExitCode == 0, import.Error);
        var predict = CliRunner.Run("predict", "--model", folder["model.safetensors"], "--input", data);
        Assert.True(predict.ExitCode == 0, predict.Error);
        var lines = predict.Output.Trim().Split('\n');
        Assert.Equal("price,age", lines[0].Trim());
        var table = MyTorch.IO.Csv.Read(data);
        var x = table.Columns(["area", "rooms", "distance", "quality", "year_built"]);
        var expected = model.Forward(x.To(DType.Float32)).ToArray<double>();
        for (int row = 0; row < 5; row++)
        {
            var values = lines[row + 1].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            for (int c = 0; c < 2; c++) Assert.Equal(expected[row * 2 + c], values[c], 5);
        }
        Assert.Equal(0, CliRunner.Run("eval", "--model", folder["model.safetensors"], "--json").ExitCode);
    }

    [Fact]
    public void MismatchesAndBadFiles_AreOneLineErrors()
    {
        using var folder = new TempFolder();
        string output = folder["model.safetensors"];
        AssertCleanError(CliRunner.Run("import", "--from", Fixture("mnist-mlp.pt"), "--hidden", "32", "--out", output),
            "mnist-mlp.pt", "do not fit the --model spec (3 problems)", "tensor '0.weight' has shape (16, 784), expected (32, 784)");
        AssertCleanError(CliRunner.Run("import", "--from", Fixture("mlp.pt"), "--out", output),
            "--data", "784 inputs but the model in --from takes 6");
        AssertCleanError(CliRunner.Run("import", "--from", Fixture("legacy.pt"), "--out", output), "legacy format");
        AssertCleanError(CliRunner.Run("import", "--from", folder["missing.pt"], "--out", output), "--from", "does not exist");
        AssertCleanError(CliRunner.Run("import", "--from", Fixture("mnist-mlp.pt"), "--model", "resnet", "--out", output), "--model", "resnet");
        AssertCleanError(CliRunner.Run("import", "--from", Fixture("mnist-mlp.pt"), "--normalize", "standardize:1", "--out", output), "--normalize");
        AssertCleanError(CliRunner.Run("import", "--from", Fixture("mnist-mlp.pt"), "--out", folder.Path), "--out", "is a folder");

        string marker = folder["ran"];
        string pickle = $"cos\nsystem\n(X{Encoding.Latin1.GetString(BitConverter.GetBytes(("touch " + marker).Length))}touch {marker}tR.";
        using (var zip = ZipFile.Open(folder["evil.pt"], ZipArchiveMode.Create))
        using (var stream = zip.CreateEntry("archive/data.pkl").Open())
            stream.Write(Encoding.Latin1.GetBytes(pickle));
        AssertCleanError(CliRunner.Run("import", "--from", folder["evil.pt"], "--out", output), "evil.pt", "global 'os.system' is not allowed");
        Assert.False(File.Exists(marker));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void TheStandardizeTransform_IsStoredAsTheModelFilesNormalizer()
    {
        using var folder = new TempFolder();
        var import = CliRunner.Run("import", "--from", Fixture("mnist-mlp.pt"), "--normalize", "standardize:33.3,78.5", "--out", folder["model.safetensors"]);
        Assert.True(import.ExitCode == 0, import.Error);
        var file = Safetensors.Load(folder["model.safetensors"]);
        Assert.Equal("mytorch/1", file.Metadata["format"]);
        Assert.Equal("standardize", file.Metadata["input_normalizer.normalizer"]);
        Assert.Equal(33.3, file["input_normalizer.mean"].ToArray<double>()[0], 12);
        Assert.Equal(78.5, file["input_normalizer.std"].ToArray<double>()[0], 12);
        Assert.Equal("mnist-mlp.pt", file.Metadata["imported_from"]);
    }
}
