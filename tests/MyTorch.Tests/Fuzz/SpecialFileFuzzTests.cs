using System.Diagnostics;
using MyTorch.IO;
using Xunit;
using Xunit.Abstractions;

namespace MyTorch.Tests.Fuzz;

/// <summary>
/// Every reader given every kind of path that is not a regular file: a directory, character devices (/dev/zero
/// reports length 0 and then never ends; /dev/urandom; /dev/null), a FIFO (opening one waits for a writer), a
/// symbolic link to each, and a dangling link. Each must be a documented exception with a clean message, at once.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class SpecialFileFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "mytorch-special-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    private static readonly (string Name, Action<string> Read)[] Readers =
    [
        ("Idx.Read", path => Idx.Read(path)),
        ("Csv.Read", path => Csv.Read(path)),
        ("Safetensors.Load", path => MyTorch.IO.Safetensors.Load(path)),
        ("Mnist.Load", path => Mnist.Load(MnistFolderWith(path))),
        ("Mnist.LoadSplit", path => Mnist.LoadSplit(MnistFolderWith(path), 0.2, new Generator(1))),
    ];

    /// <summary>A folder of valid MNIST files whose training labels are the special path (linked in).</summary>
    private static string MnistFolderWith(string special)
    {
        string mnist = special + ".mnist";
        if (!Directory.Exists(mnist))
        {
            Directory.CreateDirectory(mnist);
            var files = ReaderFuzzTargets.MnistSeed(2, 1, 2, 2, gzip: false);
            for (int i = 0; i < 4; i++)
                if (i != 1) File.WriteAllBytes(Path.Combine(mnist, Mnist.FileNames[i]), files[i]);
            File.CreateSymbolicLink(Path.Combine(mnist, Mnist.FileNames[1]), special);
        }
        return mnist;
    }

    private List<string> SpecialPaths()
    {
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        string directory = Path.Combine(folder, "directory");
        Directory.CreateDirectory(directory);
        paths.Add(directory);
        foreach (var device in new[] { "/dev/zero", "/dev/urandom", "/dev/null" })
        {
            if (!File.Exists(device)) continue;
            paths.Add(device);
            string link = Path.Combine(folder, "link-to-" + Path.GetFileName(device));
            File.CreateSymbolicLink(link, device);
            paths.Add(link);
        }
        string fifo = Path.Combine(folder, "fifo");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false }))
            mkfifo?.WaitForExit();
        if (File.Exists(fifo))
        {
            paths.Add(fifo);
            string link = Path.Combine(folder, "link-to-fifo");
            File.CreateSymbolicLink(link, fifo);
            paths.Add(link);
        }
        string toDirectory = Path.Combine(folder, "link-to-directory");
        Directory.CreateSymbolicLink(toDirectory, directory);
        paths.Add(toDirectory);
        string dangling = Path.Combine(folder, "dangling");
        File.CreateSymbolicLink(dangling, Path.Combine(folder, "nowhere"));
        paths.Add(dangling);
        return paths;
    }

    [Fact]
    public void EveryReader_RefusesEveryKindOfNonRegularFile()
    {
        if (!OperatingSystem.IsLinux()) return;
        var problems = new List<string>();
        int tried = 0;
        foreach (var path in SpecialPaths())
        {
            foreach (var (name, read) in Readers)
            {
                tried++;
                // On a thread, so a reader that blocked (on a FIFO) or read forever (from /dev/zero) fails the test instead of hanging it.
                Exception? error = null;
                var thread = new Thread(() =>
                {
                    try { read(path); }
#pragma warning disable CA1031 // every exception is judged below
                    catch (Exception e) { error = e; }
#pragma warning restore CA1031
                }) { IsBackground = true };
                var clock = Stopwatch.StartNew();
                thread.Start();
                if (!thread.Join(TimeSpan.FromSeconds(10)))
                {
                    problems.Add($"{name}({path}): no answer after 10 s");
                    continue;
                }
                if (error is null) problems.Add($"{name}({path}): accepted");
                else if (error is not (DataFormatException or FileNotFoundException)) problems.Add($"{name}({path}): {error.GetType().Name}: {error.Message}");
                else if (FuzzRunner.MessageProblem(error.Message, path) is string bad) problems.Add($"{name}({path}): {bad}");
                else if (clock.Elapsed > FuzzRunner.TimeLimit) problems.Add($"{name}({path}): took {clock.Elapsed}");
            }
        }
        output.WriteLine($"special files: {tried} inputs, {problems.Count} failures");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
