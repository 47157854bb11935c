using System.Diagnostics;

namespace MyTorch.Cli.Tests;

/// <summary>Runs the real mytorch program in a child process, as a user would, from the repository root.</summary>
internal static class CliRunner
{
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MyTorch.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (with MyTorch.sln) was not found above " + AppContext.BaseDirectory);
    }

    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(params string[] args) => RunWith(new Dictionary<string, string>(), args);

    /// <summary>Runs with extra environment variables (a GC heap limit, say).</summary>
    public static Result RunWith(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunProgram(Path.Combine(AppContext.BaseDirectory, "MyTorch.Cli.dll"), RepositoryRoot, environment, args);

    /// <summary>Runs with <paramref name="workingDirectory"/> as the current folder instead of the repository root.</summary>
    public static Result RunIn(string workingDirectory, params string[] args) =>
        RunProgram(Path.Combine(AppContext.BaseDirectory, "MyTorch.Cli.dll"), workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>Runs the program <paramref name="dll"/> (an unpacked tool package, say) in <paramref name="workingDirectory"/>.</summary>
    public static Result RunProgram(string dll, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("mytorch " + string.Join(' ', args) + " did not finish in 3 minutes.");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>A fresh temporary folder, removed at the end of the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mytorch-cli-" + Guid.NewGuid().ToString("N"));

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
