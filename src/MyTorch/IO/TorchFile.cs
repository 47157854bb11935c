using System.Globalization;
using System.IO.Compression;
using MyTorch.NN;

namespace MyTorch.IO;

/// <summary>
/// Reads a state dict saved by <c>torch.save(model.state_dict(), "model.pt")</c> (PyTorch 1.6 and later): a zip
/// archive holding <c>&lt;name&gt;/data.pkl</c>, the pickled dict, and <c>&lt;name&gt;/data/&lt;key&gt;</c>, each storage's
/// raw little-endian bytes. The pickle is read by <see cref="TorchPickle"/>, which runs nothing from the file.
/// </summary>
/// <remarks>
/// float16 and bfloat16 tensors become float32, every integer and bool tensor int64; views (a storage offset,
/// strides, storages shared between tensors) are copied into contiguous tensors with the same values. Files in the
/// legacy format (<c>_use_new_zipfile_serialization=False</c>) are refused with a message saying how to re-save.
/// </remarks>
public static class TorchFile
{
    /// <summary>The most entries an archive may hold.</summary>
    public const int MaxEntries = 100_000;

    // Deflate cannot expand data by more than about 1032 times; a larger declared size is a lie (or a bomb).
    private const long MaxDeflateRatio = 1032;

    /// <summary>Whether <paramref name="path"/> starts like a zip archive (as <c>torch.save</c> files do).</summary>
    public static bool LooksLikeZip(string path)
    {
        using var stream = InputFile.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        return stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.SequenceEqual("PK\x03\x04"u8);
    }

    /// <summary>Reads the tensors of a <c>torch.save</c> file, in the dict's order.</summary>
    /// <exception cref="DataFormatException">The file is not a readable torch.save archive, its pickle is malformed or
    /// holds anything but tensors under string keys, or a tensor lies outside its storage.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static StateDict Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ReaderMemory.Guard(path, "TorchFile.Load", () => LoadUnguarded(path));
    }

    private static StateDict LoadUnguarded(string path)
    {
        using var stream = InputFile.OpenRead(path);
        long fileLength = stream.Length;
        Span<byte> head = stackalloc byte[4];
        int got = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        if (got < 4 || !head.SequenceEqual("PK\x03\x04"u8))
        {
            // The legacy format is a bare pickle starting with PROTO 2 and LONG1 of PyTorch's magic number.
            if (got >= 3 && head[0] == 0x80 && head[1] == 0x02 && head[2] == 0x8A)
                throw new DataFormatException(path, "it is a torch.save file in the legacy format (_use_new_zipfile_serialization=False), which MyTorch does not read; " +
                    "load it in PyTorch and save it again with torch.save(state_dict, path) or safetensors.torch.save_file", 0,
                    expected: "a zip archive (PyTorch 1.6 or later)", found: "a legacy pickle");
            throw new DataFormatException(path, "it is not a torch.save file", 0, expected: "a zip archive starting with PK\\x03\\x04",
                found: got == 0 ? "an empty file" : Convert.ToHexString(head[..got]));
        }
        stream.Position = 0;
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, $"it is not a readable zip archive (truncated or damaged?): {e.Message}", innerException: e);
        }
        using (archive)
        {
            try
            {
                return Read(path, archive, fileLength);
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                // A damaged entry, or one compressed or encrypted in a way .NET cannot read (torch.save stores entries uncompressed).
                throw new DataFormatException(path, $"the zip archive is damaged or uses an unsupported entry format: {e.Message}", innerException: e);
            }
        }
    }

    private static StateDict Read(string path, ZipArchive archive, long fileLength)
    {
        if (archive.Entries.Count > MaxEntries)
            throw new DataFormatException(path, "the archive has too many entries", expected: $"at most {MaxEntries}", found: $"{archive.Entries.Count}");
        var pickles = archive.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToArray();
        if (pickles.Length != 1)
            throw new DataFormatException(path, "the archive is not a torch.save file", expected: "exactly one <name>/data.pkl entry",
                found: pickles.Length == 0 ? "none" : $"{pickles.Length}");
        var pickleEntry = pickles[0];
        string prefix = pickleEntry.FullName[..^"data.pkl".Length];
        // PyTorch 2 records the storages' byte order; only little-endian data is read as such.
        if (archive.GetEntry(prefix + "byteorder") is { } order)
        {
            string text = System.Text.Encoding.ASCII.GetString(ReadEntry(path, order, 16, fileLength)).Trim();
            if (text != "little")
                throw new DataFormatException(path, "its storages are not little-endian", expected: "byteorder 'little'", found: MessageText.Quote(text, 16));
        }
        byte[] pickle = ReadEntry(path, pickleEntry, TorchPickle.MaxPickleBytes, fileLength);
        var root = TorchPickle.Load(pickle, path);
        if (root is not TorchPickle.Dict dict)
            throw new DataFormatException(path, "the pickle does not hold a dict of tensors", expected: "a state dict (torch.save(model.state_dict(), path))",
                found: TorchPickle.Describe(root));
        dict = ModelStateDict(path, dict);

        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var entry in archive.Entries)
            if (!entries.TryAdd(entry.FullName, entry))
                throw new DataFormatException(path, $"the archive holds {MessageText.Quote(entry.FullName)} twice", expected: "distinct entry names", found: "a repeated name");
        var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var result = new StateDict();
        foreach (var (key, value) in dict)
        {
            if (key is not string name)
                throw new DataFormatException(path, "a state dict key is not a string", expected: "string keys such as '0.weight'", found: TorchPickle.Describe(key));
            if (value is not TorchPickle.TensorView view)
                throw new DataFormatException(path, $"the value under {MessageText.Quote(name)} is not a tensor; save model.state_dict() itself, not a dict around it",
                    expected: "a tensor", found: TorchPickle.Describe(value));
            result.Add(name, Build(path, name, view, prefix, entries, storages, fileLength));
        }
        return result;
    }

    /// <summary>Keys under which training checkpoints usually keep the model's state dict beside other things.</summary>
    public static IReadOnlyList<string> StateDictKeys { get; } = ["state_dict", "model_state_dict", "model", "net"];

    /// <summary>
    /// The dict itself when it holds tensors; for a checkpoint dict (<c>{"epoch": 3, "model_state_dict": ...}</c>) the
    /// state dict under the first of <see cref="StateDictKeys"/> that holds one.
    /// </summary>
    private static TorchPickle.Dict ModelStateDict(string path, TorchPickle.Dict dict)
    {
        if (dict.Count == 0 || dict.Any(p => p.Value is TorchPickle.TensorView)) return dict;
        foreach (string key in StateDictKeys)
        {
            var inner = dict.FirstOrDefault(p => key.Equals(p.Key)).Value as TorchPickle.Dict;
            if (inner is not null && inner.Count > 0 && inner.All(p => p.Value is TorchPickle.TensorView)) return inner;
        }
        var names = dict.Select(p => p.Key as string ?? TorchPickle.Describe(p.Key)).ToArray();
        throw new DataFormatException(path, $"it holds a dict of {names.Length} entries and none is a tensor or a state dict under {string.Join(", ", StateDictKeys.Select(k => $"'{k}'"))}",
            expected: "a state dict (torch.save(model.state_dict(), path)) or a checkpoint holding one", found: $"the keys {MessageText.List(names, 4)}");
    }

    private static Tensor Build(string path, string name, TorchPickle.TensorView view, string prefix,
        Dictionary<string, ZipArchiveEntry> entries, Dictionary<string, byte[]> storages, long fileLength)
    {
        var storage = view.Storage;
        var (elementSize, dtype) = StorageDTypes.Codes[storage.DType];
        long count = 1;
        long last = view.Offset;
        for (int d = 0; d < view.Size.Length; d++)
        {
            count *= view.Size[d];
            if (count > Array.MaxLength)
                throw new DataFormatException(path, $"tensor {MessageText.Quote(name)} has more elements than a tensor can hold",
                    expected: $"at most {Array.MaxLength}", found: "more");
            if (view.Size[d] > 0) last += (view.Size[d] - 1) * view.Stride[d];
        }
        if (count > 0 && (view.Offset < 0 || last >= storage.Count))
            throw new DataFormatException(path, $"tensor {MessageText.Quote(name)} reaches outside its storage",
                expected: string.Create(CultureInfo.InvariantCulture, $"elements 0 to {storage.Count - 1} of storage {storage.Key}"),
                found: string.Create(CultureInfo.InvariantCulture, $"offset {view.Offset} up to element {last}"));
        if (!storages.TryGetValue(storage.Key, out var bytes))
        {
            if (!entries.TryGetValue(prefix + "data/" + storage.Key, out var entry))
                throw new DataFormatException(path, $"tensor {MessageText.Quote(name)}: the archive lacks its storage",
                    expected: $"an entry {prefix}data/{storage.Key}", found: "none");
            long needed = storage.Count * elementSize;
            if (storage.Count > Array.MaxLength / elementSize || entry.Length < needed)
                throw new DataFormatException(path, $"storage {storage.Key} is smaller than the pickle says",
                    expected: string.Create(CultureInfo.InvariantCulture, $"{needed} bytes ({storage.Count} of {storage.DType})"),
                    found: string.Create(CultureInfo.InvariantCulture, $"{entry.Length} bytes"));
            bytes = ReadEntry(path, entry, needed, fileLength);
            storages[storage.Key] = bytes;
        }
        // A storage shared by several tensors is read once; a second reference must not claim more of it.
        if (bytes.Length < storage.Count * elementSize)
            throw new DataFormatException(path, $"tensor {MessageText.Quote(name)}: storage {storage.Key} is referred to with two different sizes",
                expected: string.Create(CultureInfo.InvariantCulture, $"at most {bytes.Length} bytes"),
                found: string.Create(CultureInfo.InvariantCulture, $"{storage.Count} of {storage.DType}"));
        var tensor = ReaderMemory.Empty(path, [.. view.Size.Select(s => (int)s)], dtype, "TorchFile.Load");
        StorageDTypes.CopyView(bytes, storage.DType, view.Offset, view.Size, view.Stride, tensor);
        return tensor;
    }

    /// <summary>The first <paramref name="limit"/> bytes of an entry (all of it when shorter), checked against what the archive declares.</summary>
    private static byte[] ReadEntry(string path, ZipArchiveEntry entry, long limit, long fileLength)
    {
        if (entry.Length > limit && entry.FullName.EndsWith("data.pkl", StringComparison.Ordinal))
            throw new DataFormatException(path, $"{MessageText.Quote(entry.FullName)} is larger than the limit",
                expected: $"at most {limit} bytes", found: $"{entry.Length} bytes");
        if (entry.Length > Math.Max(entry.CompressedLength, 0) * MaxDeflateRatio + 1024 || entry.CompressedLength > fileLength)
            throw new DataFormatException(path, $"{MessageText.Quote(entry.FullName)} declares an impossible size",
                expected: "a size the compressed data can hold", found: $"{entry.Length} bytes from {entry.CompressedLength}");
        long length = Math.Min(entry.Length, limit);
        var buffer = ReaderMemory.Array<byte>(path, length, "TorchFile.Load");
        using var data = entry.Open();
        int read = data.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read != buffer.Length)
            throw new DataFormatException(path, $"{MessageText.Quote(entry.FullName)} ends early (is the file truncated?)",
                expected: $"{buffer.Length} bytes", found: $"{read}");
        return buffer;
    }
}
