using System.Diagnostics;

namespace MyTorch.Visualization;

/// <summary>What <see cref="Graphviz.Render(string, string)"/> did.</summary>
/// <param name="Rendered">Whether an image was drawn.</param>
/// <param name="Path">The file written: the image, or the .dot file when no image could be drawn.</param>
/// <param name="Message">One line for the user: what was written and, without Graphviz, how to render it.</param>
public sealed record GraphvizResult(bool Rendered, string Path, string Message);

/// <summary>
/// Draws DOT text with Graphviz's <c>dot</c> program when it is installed (Debian package <c>graphviz</c>);
/// without it, writes the DOT file and says how to render it.
/// </summary>
public static class Graphviz
{
    private static readonly string[] ImageFormats = ["svg", "png", "pdf", "jpg", "jpeg", "gif"];

    /// <summary>The full path of <c>dot</c> found on PATH, or null when Graphviz is not installed.</summary>
    public static string? FindDot()
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path)) return null;
        string name = OperatingSystem.IsWindows() ? "dot.exe" : "dot";
        foreach (var folder in path.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// Writes <paramref name="dot"/> to <paramref name="outputPath"/> as the image its extension names (.svg, .png,
    /// .pdf), using <c>dot</c> from PATH; a .dot path, or no Graphviz, writes the DOT text instead (to FILE.dot).
    /// </summary>
    public static GraphvizResult Render(string dot, string outputPath) => Render(dot, outputPath, FindDot());

    /// <summary>As <see cref="Render(string, string)"/> with the <c>dot</c> program given; null means Graphviz is not available.</summary>
    public static GraphvizResult Render(string dot, string outputPath, string? dotExecutable)
    {
        ArgumentNullException.ThrowIfNull(dot);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        var format = System.IO.Path.GetExtension(outputPath).TrimStart('.').ToLowerInvariant();
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(outputPath));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        if (format == "dot" || format == "gv")
        {
            File.WriteAllText(outputPath, dot);
            return new GraphvizResult(false, outputPath, $"wrote {outputPath}; render it with: dot -Tsvg {outputPath} -o {System.IO.Path.ChangeExtension(outputPath, ".svg")}");
        }
        if (!ImageFormats.Contains(format))
            throw new ArgumentException(
                $"Graphviz: cannot tell the image format from '{outputPath}': use a file name ending in .svg, .png, .pdf or .dot.", nameof(outputPath));

        var dotPath = System.IO.Path.ChangeExtension(outputPath, ".dot");
        if (dotExecutable is null)
        {
            File.WriteAllText(dotPath, dot);
            return new GraphvizResult(false, dotPath,
                $"Graphviz's dot program is not on PATH, so no {format} was drawn: wrote {dotPath}. " +
                $"Install Graphviz (apt-get install graphviz, brew install graphviz) and render it with: dot -T{format} {dotPath} -o {outputPath}");
        }

        var start = new ProcessStartInfo(dotExecutable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-T" + (format == "jpeg" ? "jpg" : format));
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(outputPath);
        using var process = Process.Start(start)
            ?? throw new IOException($"Graphviz: could not start '{dotExecutable}'.");
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        process.StandardInput.Write(dot);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new IOException($"Graphviz: '{dotExecutable}' did not finish drawing {outputPath} in 2 minutes.");
        }
        _ = output.Result;
        if (process.ExitCode != 0)
        {
            File.WriteAllText(dotPath, dot);
            throw new IOException(
                $"Graphviz: '{dotExecutable} -T{format}' failed with exit code {process.ExitCode}: {errors.Result.Trim()} (the DOT text is in {dotPath}).");
        }
        return new GraphvizResult(true, outputPath, $"wrote {outputPath}");
    }
}
