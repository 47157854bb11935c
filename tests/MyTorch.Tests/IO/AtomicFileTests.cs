using System.Text;
using MyTorch.IO;
using Xunit;

namespace MyTorch.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static Action<Stream> Text(string text) => stream => stream.Write(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Write_CreatesAndReplacesTheFile()
    {
        string path = temp.File("a.txt");
        AtomicFile.Write(path, Text("first"));
        Assert.Equal("first", File.ReadAllText(path));
        AtomicFile.Write(path, Text("second, longer"));
        Assert.Equal("second, longer", File.ReadAllText(path));
        Assert.Single(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Write_WhenTheCallbackThrows_KeepsThePreviousFileAndLeavesNoTempFile()
    {
        string path = temp.File("model.bin");
        AtomicFile.Write(path, Text("complete old version"));

        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(Encoding.UTF8.GetBytes("half of the new"));
            throw new InvalidOperationException("crash midway");
        }));

        Assert.Equal("crash midway", error.Message);
        Assert.Equal("complete old version", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Write_WhenTheCallbackThrowsForANewFile_CreatesNothing()
    {
        string path = temp.File("new.bin");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, _ => throw new IOException("disk full")));
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Write_WhenTheCallbackDisposesTheStream_FailsClearlyAndKeepsTheOldFile()
    {
        string path = temp.File("a.txt");
        AtomicFile.Write(path, Text("old"));
        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("new"u8);
            stream.Dispose();
        }));
        Assert.Contains("leaveOpen", error.Message, StringComparison.Ordinal);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void Write_IntoAMissingDirectory_NamesThePath()
    {
        string path = Path.Combine(temp.Path, "no-such-dir", "a.txt");
        var error = Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(path, Text("x")));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_OverADirectory_IsAnIOException()
    {
        Directory.CreateDirectory(temp.File("sub"));
        var error = Assert.Throws<IOException>(() => AtomicFile.Write(temp.File("sub"), Text("x")));
        Assert.Contains("directory", error.Message, StringComparison.Ordinal);
    }
}
