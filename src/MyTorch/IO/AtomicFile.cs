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
    /// <exception cref="IOException">Writing failed (no space left on the device, a file-size limit, an I/O error);
    /// the message names <paramref name="path"/> and the previous file is unchanged.</exception>
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
            using (var file = OpenTemp(path, tempPath, directory))
            {
                // The file itself is unbuffered and the buffer sits above it, so that after a failed write the file closes
                // without trying to flush again: a second failure there would replace the first, clearer error.
                var stream = new GuardedStream(new BufferedStream(file, 1 << 16), file);
                write(stream);
                if (!stream.CanWrite)
                    throw new InvalidOperationException($"Writing '{path}': the callback disposed the stream; wrap it with leaveOpen: true.");
                stream.FlushToDisk();
            }
            File.Move(tempPath, fullPath, overwrite: true);
            moved = true;
        }
        catch (IOException e) when (e.GetType() == typeof(IOException))
        {
            // The operating system's own errors (no space left, file too large, I/O error) name only the temporary file.
            throw new IOException($"Cannot write '{path}': {e.Message.TrimEnd('.')}. The previous version of the file, if any, is unchanged.", e);
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
            return new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"Cannot write '{path}': no permission to create files in '{directory}'.", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new DirectoryNotFoundException($"Cannot write '{path}': the directory '{directory}' no longer exists.", e);
        }
    }

    /// <summary>
    /// The temporary file as the callback sees it: a write the file system refuses for size (EFBIG, which .NET reports
    /// as an <see cref="ArgumentOutOfRangeException"/> about a file length) becomes the <see cref="IOException"/> it is.
    /// </summary>
    private sealed class GuardedStream(BufferedStream buffered, FileStream disk) : Stream
    {
        private bool disposed;

        public override bool CanRead => false;
        public override bool CanSeek => !disposed && buffered.CanSeek;
        public override bool CanWrite => !disposed && buffered.CanWrite;
        public override long Length => buffered.Length;

        public override long Position
        {
            get => buffered.Position;
            set => buffered.Position = value;
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            Guard(() => buffered.Write(buffer, offset, count));
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            try
            {
                buffered.Write(buffer);
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw TooLarge(e);
            }
        }

        public override void WriteByte(byte value)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            Guard(() => buffered.WriteByte(value));
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer, offset, count);
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush() => Guard(buffered.Flush);

        public void FlushToDisk() => Guard(() =>
        {
            buffered.Flush();
            disk.Flush(flushToDisk: true);
        });

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The stream is write-only.");

        public override long Seek(long offset, SeekOrigin origin) => buffered.Seek(offset, origin);

        public override void SetLength(long value) => Guard(() => buffered.SetLength(value));

        protected override void Dispose(bool disposing)
        {
            // The file itself is closed by AtomicFile; a callback that disposes this is caught through CanWrite.
            disposed = true;
            base.Dispose(disposing);
        }

        private static void Guard(Action action)
        {
            try
            {
                action();
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw TooLarge(e);
            }
        }

        private static IOException TooLarge(ArgumentOutOfRangeException e) =>
            new("File too large: the file system refused to make the file that long (a file-size limit such as ulimit -f, or the file system's maximum)", e);
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
