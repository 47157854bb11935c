using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MyTorch.IO;

/// <summary>
/// Opens the files the readers read, after checking that each is a regular file: a directory, a device such as
/// <c>/dev/zero</c> (length 0, then endless data), a FIFO or a socket, or a symbolic link to one, is refused with
/// a message naming the path and what it is, before anything is read from it (opening a FIFO would wait for a writer).
/// </summary>
public static partial class InputFile
{
    /// <summary>Opens <paramref name="path"/> for sequential reading once <see cref="CheckRegular"/> accepts it.</summary>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    /// <exception cref="DataFormatException">The path is a directory, device, FIFO or socket.</exception>
    public static FileStream OpenRead(string path)
    {
        CheckRegular(path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
    }

    /// <summary>Opens a handle for random-access reads once <see cref="CheckRegular"/> accepts the path.</summary>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    /// <exception cref="DataFormatException">The path is a directory, device, FIFO or socket.</exception>
    public static SafeFileHandle OpenHandle(string path)
    {
        CheckRegular(path);
        return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    /// <summary>Throws unless <paramref name="path"/> (after following symbolic links) is a regular file.</summary>
    /// <exception cref="FileNotFoundException">Nothing exists at the path (or a symbolic link there points nowhere).</exception>
    /// <exception cref="DataFormatException">The path is a directory, device, FIFO or socket.</exception>
    public static void CheckRegular(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string? kind = Kind(path);
        if (kind is null) return;
        if (kind == "missing")
            throw new FileNotFoundException($"{MessageText.Clean(path, 200)}: no such file (full path {MessageText.Clean(Path.GetFullPath(path), 200)}).", path);
        throw new DataFormatException(path, $"the path is {kind}, not a regular file", expected: "a regular file", found: kind);
    }

    /// <summary>What the path is when it is not a regular file ("a directory", ..., "missing"); null for a regular file.</summary>
    private static string? Kind(string path)
    {
        if (OperatingSystem.IsLinux() && TryStatxMode(path, out int mode, out bool missing))
        {
            if (missing) return "missing";
            return (mode & 0xF000) switch
            {
                0x8000 => null,
                0x4000 => "a directory",
                0x2000 => "a character device",
                0x6000 => "a block device",
                0x1000 => "a FIFO (named pipe)",
                0xC000 => "a socket",
                _ => "not a regular file",
            };
        }
        if (Directory.Exists(path)) return "a directory";
        if (!File.Exists(path)) return "missing";
        if (OperatingSystem.IsWindows() && (File.GetAttributes(path) & FileAttributes.Device) != 0) return "a device";
        return null;
    }

    // statx's layout is the same on every Linux architecture (unlike stat's): stx_mode is the 16 bits at byte 28.
    private const int AtFdCwd = -100;
    private const uint StatxType = 1;
    private const int StatxModeOffset = 28;
    private const int StatxSize = 256;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;

    private static unsafe bool TryStatxMode(string path, out int mode, out bool missing)
    {
        mode = 0;
        missing = false;
        byte* buffer = stackalloc byte[StatxSize];
        int result;
        try
        {
            result = Statx(AtFdCwd, path, 0, StatxType, buffer);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // a C library without statx: the portable checks stand in
        }
        if (result != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            missing = error is ENOENT or ENOTDIR;
            // Any other failure (permission, a name too long) is left for the open to report in its own words.
            return missing;
        }
        mode = *(ushort*)(buffer + StatxModeOffset);
        return true;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);
}
