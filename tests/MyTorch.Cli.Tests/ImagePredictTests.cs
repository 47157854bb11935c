using System.IO.Compression;
using MyTorch.Cli.Reporting;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary><c>predict --input</c> takes PNG and JPEG images (and folders of them) for a digits model, converted as docs/cli.md says.</summary>
public class ImagePredictTests
{
    /// <summary>The first test digit of the shipped set (a 0), 784 bytes.</summary>
    private static byte[] FirstTestDigit()
    {
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(CliRunner.RepositoryRoot, "data", "mnist-10k", "t10k-images-idx3-ubyte.gz")), CompressionMode.Decompress);
        var bytes = new byte[16 + 784];
        gzip.ReadExactly(bytes);
        return bytes[16..];
    }

    private static void WritePng(string path, byte[] pixels, int scale, bool darkOnWhite)
    {
        var canvas = new Canvas(28 * scale, 28 * scale, new Rgb(0, 0, 0));
        for (int y = 0; y < 28 * scale; y++)
            for (int x = 0; x < 28 * scale; x++)
            {
                byte v = pixels[y / scale * 28 + x / scale];
                if (darkOnWhite) v = (byte)(255 - v);
                canvas.Blend(x, y, new Rgb(v, v, v), 1);
            }
        using var file = File.Create(path);
        canvas.SavePng(file);
    }

    private static string[] Rows(CliRunner.Result result)
    {
        Assert.True(result.ExitCode == 0, result.Error);
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void Images_predict_as_the_same_digit_in_idx_does()
    {
        using var folder = new TempFolder();
        var train = CliRunner.Run("train", "--epochs", "2", "--hidden", "32", "--threads", "1", "--json", "--out", folder["run"]);
        Assert.True(train.ExitCode == 0, train.Error);
        string model = Path.Combine(folder["run"], "model.safetensors");
        var digit = FirstTestDigit();
        byte[] header = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28];
        File.WriteAllBytes(folder["one.idx"], [.. header, .. digit]);
        Directory.CreateDirectory(folder["images"]);
        WritePng(Path.Combine(folder["images"], "a-as-is.png"), digit, 1, darkOnWhite: false);
        WritePng(Path.Combine(folder["images"], "b-drawn.png"), digit, 3, darkOnWhite: true);
        File.Copy(Path.Combine(CliRunner.RepositoryRoot, "tests", "MyTorch.Cli.Tests", "fixtures", "digit-0.jpg"), Path.Combine(folder["images"], "c-photo.jpg"));
        File.WriteAllText(Path.Combine(folder["images"], "notes.txt"), "not an image");

        var idx = Rows(CliRunner.Run("predict", "--model", model, "--input", folder["one.idx"]));
        var png = Rows(CliRunner.Run("predict", "--model", model, "--input", Path.Combine(folder["images"], "a-as-is.png")));
        Assert.Equal("file," + idx[0], png[0]);
        Assert.Equal("a-as-is.png," + idx[1], png[1]); // the same pixels, the same probabilities
        var all = Rows(CliRunner.Run("predict", "--model", model, "--input", folder["images"]));
        Assert.Equal(4, all.Length);
        // Dark on white and three times the size: inverted and averaged back to the same 28x28 pixels.
        Assert.Equal("b-drawn.png," + idx[1], all[2]);
        Assert.StartsWith("c-photo.jpg," + idx[1].Split(',')[0] + ",", all[3], StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_images_and_csv_models_are_one_line_errors()
    {
        using var folder = new TempFolder();
        var train = CliRunner.Run("train", "--data", "data/tabular/houses.csv", "--task", "regression", "--hidden", "8", "--epochs", "1", "--threads", "1", "--json", "--out", folder["run"]);
        Assert.True(train.ExitCode == 0, train.Error);
        File.WriteAllText(folder["fake.png"], "this is text");
        var csvModel = CliRunner.Run("predict", "--model", Path.Combine(folder["run"], "model.safetensors"), "--input", folder["fake.png"]);
        Assert.Equal(2, csvModel.ExitCode);
        Assert.Contains("images are for models trained on 28x28 images", csvModel.Error, StringComparison.Ordinal);

        var digits = CliRunner.Run("train", "--epochs", "0", "--hidden", "8", "--json", "--out", folder["digits"]);
        Assert.True(digits.ExitCode == 0, digits.Error);
        var corrupt = CliRunner.Run("predict", "--model", Path.Combine(folder["digits"], "model.safetensors"), "--input", folder["fake.png"]);
        Assert.Equal(2, corrupt.ExitCode);
        Assert.Single(corrupt.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("not a PNG or JPEG image", corrupt.Error, StringComparison.Ordinal);
        Directory.CreateDirectory(folder["empty"]);
        var empty = CliRunner.Run("predict", "--model", Path.Combine(folder["digits"], "model.safetensors"), "--input", folder["empty"]);
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("no .png, .jpg or .jpeg files", empty.Error, StringComparison.Ordinal);
    }
}
