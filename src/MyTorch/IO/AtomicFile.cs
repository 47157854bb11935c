namespace MyTorch.IO;

/// <summary>
/// Replaces a file all at once: a crash at any moment leaves either the previous complete file or the new complete
/// file at the path, never a half-written one.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes a new version of <paramref name="path"/>: <paramref name="write"/> fills a temporary file in the same
    /// directory, which is flushed to disk and then renamed over <paramref name="path"/>. If anything fails, the
    /// temporary file is deleted and the previous file is untouched. The callback must not dispose the stream
    /// (wrap it with <c>leaveOpen: true</c>).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be written to.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"'{path}' names a root, not a file.", nameof(path));
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot write '{path}': the directory '{directory}' does not exist.");
        if (Directory.Exists(fullPath))
            throw new IOException($"Cannot write '{path}': a directory of that name exists.");

        // Same directory, so the final rename never crosses file systems and stays atomic.
        string tempPath = Path.Combine(directory, "." + Path.GetFileName(fullPath) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        bool moved = false;
        try
        {
            using (var stream = OpenTemp(path, tempPath, directory))
            {
                write(stream);
                if (!stream.CanWrite)
                    throw new InvalidOperationException($"Writing '{path}': the callback disposed the stream; wrap it with leaveOpen: true.");
                stream.Flush(flushToDisk: true);
            }
            File.Move(tempPath, fullPath, overwrite: true);
            moved = true;
        }
        finally
        {
            if (!moved) TryDelete(tempPath);
        }
    }

    private static FileStream OpenTemp(string path, string tempPath, string directory)
    {
        try
        {
            return new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"Cannot write '{path}': no permission to create files in '{directory}'.", e);
        }
    }

    private static void TryDelete(string tempPath)
    {
        try
        {
            File.Delete(tempPath);
        }
        catch (IOException)
        {
            // The original error matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
            // Same: keep the original exception.
        }
    }
}
