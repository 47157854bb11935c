using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using MyTorch.Cli.Reporting;
using MyTorch.Cli.Training;
using StbImageSharp;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>The training plot (drawn in managed code) and the tool package: small, no symbols, the digits inside, usable anywhere.</summary>
public class PackagingTests
{
    private static TrainingHistory History(params double[] losses) => new()
    {
        Epochs = losses.Select((loss, i) => new EpochRecord
        {
            Epoch = i + 1, TrainLoss = loss, ValidationLoss = loss * 1.2 + 0.05, TrainError = loss / 4, ValidationError = loss / 3,
        }).ToList(),
    };

    private static byte[] PlotBytes(TrainingHistory history, bool regression)
    {
        using var folder = new TempFolder();
        TrainingPlot.Save(folder["plot.png"], history, regression);
        Assert.False(File.Exists(folder["plot.png.tmp.png"]));
        return File.ReadAllBytes(folder["plot.png"]);
    }

    [Fact]
    public void Plot_is_a_png_with_both_curves_and_the_same_bytes_every_time()
    {
        var history = History(0.9, 0.5, 0.35, 0.3, 0.28);
        var bytes = PlotBytes(history, regression: false);
        Assert.Equal(bytes, PlotBytes(history, regression: false));
        var image = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
        Assert.Equal(TrainingPlot.ImageWidth, image.Width);
        Assert.Equal(TrainingPlot.ImageHeight, image.Height);
        int Count(Rgb c)
        {
            int n = 0;
            for (int i = 0; i < image.Data.Length; i += 3)
                if (image.Data[i] == c.R && image.Data[i + 1] == c.G && image.Data[i + 2] == c.B) n++;
            return n;
        }
        // Each colour draws two curves and a legend sample: hundreds of pixels, in both panels.
        Assert.True(Count(TrainingPlot.TrainingColor) > 500, $"training colour pixels: {Count(TrainingPlot.TrainingColor)}");
        Assert.True(Count(TrainingPlot.ValidationColor) > 500, $"validation colour pixels: {Count(TrainingPlot.ValidationColor)}");
        Assert.NotEqual(bytes, PlotBytes(history, regression: true)); // other labels
    }

    [Fact]
    public void Plot_draws_empty_single_epoch_and_non_finite_histories()
    {
        foreach (var history in new[] { History(), History(0.5), History(0.5, double.NaN, 0.4), History(double.PositiveInfinity), History(2, 2, 2) })
        {
            var image = ImageResult.FromMemory(PlotBytes(history, regression: false), ColorComponents.RedGreenBlue);
            Assert.Equal(TrainingPlot.ImageWidth, image.Width);
        }
    }

    [Fact]
    public void Canvas_text_and_lines_land_where_drawn()
    {
        var canvas = new Canvas(40, 20, new Rgb(255, 255, 255));
        canvas.Text(1, 1, "I", new Rgb(0, 0, 0));
        Assert.Equal(new Rgb(0, 0, 0), canvas[3, 4]); // the stem of the I
        Assert.Equal(new Rgb(255, 255, 255), canvas[1, 4]);
        canvas.Line(10, 10, 30, 10, new Rgb(255, 0, 0), 3);
        Assert.Equal(new Rgb(255, 0, 0), canvas[20, 10]);
        Assert.Equal(new Rgb(255, 255, 255), canvas[20, 14]);
        Assert.Equal(22, BitmapFont.Width("ab", 2));
    }

    private static string Configuration => AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";

    /// <summary>Packs the tool (from the build the tests run on) into <paramref name="folder"/> and returns the package path.</summary>
    private static string PackTool(string folder) => Pack("src/MyTorch.Cli", folder, "MyTorch.Cli.*.nupkg");

    private static string Pack(string project, string folder, string pattern)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = CliRunner.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "pack", project, "-c", Configuration, "--no-build", "-o", folder, "-nologo" }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "dotnet pack did not finish in 3 minutes");
        Assert.True(process.ExitCode == 0, "dotnet pack failed: " + output.Result + error.Result);
        return Directory.GetFiles(folder, pattern).Single();
    }

    [Fact]
    public void Library_package_has_a_readme_and_a_real_description_at_the_tools_version()
    {
        using var folder = new TempFolder();
        using var zip = ZipFile.OpenRead(Pack("src/MyTorch", folder.Path, "MyTorch.0*.nupkg"));
        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        string Field(string name) => nuspec.Descendants().Single(e => e.Name.LocalName == name).Value;
        Assert.Equal("README.md", Field("readme"));
        Assert.Contains(zip.Entries, e => e.FullName == "README.md");
        Assert.StartsWith("Tensors, reverse-mode automatic differentiation", Field("description"), StringComparison.Ordinal);
        Assert.Equal(typeof(Tensor).Assembly.GetName().Version!.ToString(3), Field("version"));
        Assert.DoesNotContain(zip.Entries, e => e.FullName.EndsWith(".pdb", StringComparison.Ordinal));
    }

    [Fact]
    public void Tool_package_is_small_has_no_symbols_carries_the_digits_and_trains_outside_the_repository()
    {
        using var folder = new TempFolder();
        var package = PackTool(folder["pack"]);
        Assert.True(new FileInfo(package).Length < 30_000_000, $"the tool package is {new FileInfo(package).Length:N0} bytes");
        using (var zip = ZipFile.OpenRead(package))
        {
            var names = zip.Entries.Select(e => e.FullName).ToArray();
            Assert.DoesNotContain(names, n => n.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(names, n => n.Contains("runtimes/", StringComparison.Ordinal)); // no native libraries
            Assert.Contains("tools/net10.0/any/data/mnist-10k/train-images-idx3-ubyte.gz", names);
            var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            string Field(string name) => nuspec.Descendants().Single(e => e.Name.LocalName == name).Value;
            Assert.Equal(typeof(Tensor).Assembly.GetName().Version!.ToString(3), Field("version"));
            Assert.Equal("MyTorch developers", Field("authors"));
            Assert.DoesNotContain("Package Description", Field("description"), StringComparison.Ordinal);
            zip.ExtractToDirectory(folder["unpacked"]);
        }
        // What "dotnet tool install" runs, from a folder with no data/ in it or above it.
        Directory.CreateDirectory(folder["work"]);
        var result = CliRunner.RunProgram(Path.Combine(folder["unpacked"], "tools", "net10.0", "any", "MyTorch.Cli.dll"), folder["work"],
            new Dictionary<string, string>(), "train", "--epochs", "1", "--hidden", "8", "--out", "run");
        Assert.True(result.ExitCode == 0, result.Error + result.Output);
        Assert.True(File.Exists(Path.Combine(folder["work"], "run", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(folder["work"], "run", "training-curves.png")));
    }
}
