using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace MyTorch.IO;

/// <summary>
/// A restricted reader of the pickle that <c>torch.save</c> writes for a state dict (<c>archive/data.pkl</c>). It is
/// not a Python unpickler: it builds only plain values (None, bools, ints, floats, strings, tuples, lists, dicts) and
/// the few torch objects a state dict holds, and refuses every other opcode and every global outside a short allow
/// list, so no code named by the file ever runs. Limits on the pickle's size, memo, stack and mark depth bound what
/// a hostile file can make it allocate.
/// </summary>
public static class TorchPickle
{
    /// <summary>The largest pickle accepted (the tensors' data lives outside it; 64 MB is far more than any state dict needs).</summary>
    public const int MaxPickleBytes = 64 << 20;

    /// <summary>The most memo entries a pickle may store.</summary>
    public const int MaxMemo = 1 << 20;

    /// <summary>The most values on the stack at once.</summary>
    public const int MaxStack = 1 << 20;

    /// <summary>The deepest nesting of marks (open tuples, lists and dicts) accepted.</summary>
    public const int MaxMarkDepth = 256;

    /// <summary>The globals a state dict may name: its dict type, the tensor rebuilders and the storage types.</summary>
    public static IReadOnlyCollection<string> AllowedGlobals => Allowed.Keys;

    private static readonly Dictionary<string, string?> Allowed = new(StringComparer.Ordinal)
    {
        ["collections OrderedDict"] = null,
        ["torch._utils _rebuild_tensor_v2"] = null,
        ["torch._utils _rebuild_parameter"] = null,
        ["torch FloatStorage"] = "F32",
        ["torch DoubleStorage"] = "F64",
        ["torch HalfStorage"] = "F16",
        ["torch BFloat16Storage"] = "BF16",
        ["torch LongStorage"] = "I64",
        ["torch IntStorage"] = "I32",
        ["torch ShortStorage"] = "I16",
        ["torch CharStorage"] = "I8",
        ["torch ByteStorage"] = "U8",
        ["torch BoolStorage"] = "BOOL",
    };

    /// <summary>A global the pickle named (one of <see cref="AllowedGlobals"/>).</summary>
    public sealed record Global(string Module, string Name)
    {
        /// <summary>The storage dtype code (F32, I64, ...) when this is a storage type; null otherwise.</summary>
        public string? StorageDType => Allowed.GetValueOrDefault(Module + " " + Name);
    }

    /// <summary>A storage the pickle refers to by persistent id: its data is the file <c>data/Key</c> of the archive.</summary>
    public sealed record Storage(string DType, string Key, long Count);

    /// <summary>A tensor view of a storage, as <c>_rebuild_tensor_v2</c> describes it.</summary>
    public sealed record TensorView(Storage Storage, long Offset, long[] Size, long[] Stride);

    /// <summary>A dict (plain or ordered) in insertion order; keys may repeat only as Python allows (last wins).</summary>
    public sealed class Dict : List<KeyValuePair<object?, object?>>
    {
        /// <summary>Sets <paramref name="key"/> as Python would: replaces an equal key's value or appends.</summary>
        public void Set(object? key, object? value)
        {
            int index = FindIndex(p => Equals(p.Key, key));
            if (index >= 0) this[index] = new(key, value);
            else Add(new(key, value));
        }
    }

    /// <summary>Reads <paramref name="pickle"/>; <paramref name="path"/> names the file in errors.</summary>
    /// <exception cref="DataFormatException">The pickle is malformed, too large, or uses an opcode or global outside the allowed set.</exception>
    public static object? Load(ReadOnlySpan<byte> pickle, string path)
    {
        if (pickle.Length > MaxPickleBytes)
            throw new DataFormatException(path, "the pickle is larger than the limit", 0,
                expected: $"at most {MaxPickleBytes} bytes", found: $"{pickle.Length} bytes");
        var reader = new Reader(pickle, path);
        return reader.Run();
    }

    private ref struct Reader(ReadOnlySpan<byte> data, string path)
    {
        private readonly ReadOnlySpan<byte> data = data;
        private readonly string path = path;
        private int position;
        private int opcodeStart;
        private readonly List<object?> stack = [];
        private readonly List<int> marks = [];
        private readonly Dictionary<long, object?> memo = [];

        public object? Run()
        {
            while (true)
            {
                if (position >= data.Length) Fail("the pickle ends before its STOP opcode", "STOP ('.')", "the end of the data");
                opcodeStart = position;
                byte op = data[position++];
                switch (op)
                {
                    case 0x80: // PROTO
                        byte protocol = Bytes(1)[0];
                        if (protocol is < 2 or > 5) Fail($"pickle protocol {protocol} is not supported", "protocol 2 to 5", protocol.ToString(CultureInfo.InvariantCulture));
                        break;
                    case 0x95: Bytes(8); break; // FRAME: a length hint only
                    case (byte)'.': // STOP
                        if (stack.Count != 1 || marks.Count != 0) Fail("the pickle stops with a malformed stack", "one value and no open mark", $"{stack.Count} values");
                        return stack[0];
                    case (byte)'(': // MARK
                        if (marks.Count >= MaxMarkDepth) Fail("the pickle nests too deeply", $"at most {MaxMarkDepth} open marks", "more");
                        marks.Add(stack.Count);
                        break;
                    case (byte)'N': Push(null); break;
                    case 0x88: Push(true); break;
                    case 0x89: Push(false); break;
                    case (byte)'K': Push((long)Bytes(1)[0]); break; // BININT1
                    case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2))); break; // BININT2
                    case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4))); break; // BININT
                    case 0x8A: Push(Long1()); break; // LONG1
                    case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8))); break; // BINFLOAT
                    case (byte)'X': Push(Text(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))); break; // BINUNICODE
                    case 0x8C: Push(Text(Bytes(1)[0])); break; // SHORT_BINUNICODE
                    case (byte)')': Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
                    case 0x85: Push(new[] { Pop() }); break; // TUPLE1
                    case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; } // TUPLE2
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                    case (byte)'t': Push(PopMark().ToArray()); break; // TUPLE
                    case (byte)']': Push(new List<object?>()); break; // EMPTY_LIST
                    case (byte)'a': { var item = Pop(); ListAt(Peek()).Add(item); break; } // APPEND
                    case (byte)'e': { var items = PopMark(); ListAt(Peek()).AddRange(items); break; } // APPENDS
                    case (byte)'}': Push(new Dict()); break; // EMPTY_DICT
                    case (byte)'s': { var value = Pop(); var key = Pop(); DictAt(Peek()).Set(Key(key), value); break; } // SETITEM
                    case (byte)'u': // SETITEMS
                    {
                        var items = PopMark();
                        if (items.Count % 2 != 0) Fail("SETITEMS has an odd number of values", "key, value pairs", $"{items.Count} values");
                        var dict = DictAt(Peek());
                        for (int i = 0; i < items.Count; i += 2) dict.Set(Key(items[i]), items[i + 1]);
                        break;
                    }
                    case (byte)'q': Put(Bytes(1)[0]); break; // BINPUT
                    case (byte)'r': Put(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))); break; // LONG_BINPUT
                    case 0x94: Put(memo.Count); break; // MEMOIZE
                    case (byte)'h': Push(Get(Bytes(1)[0])); break; // BINGET
                    case (byte)'j': Push(Get(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))); break; // LONG_BINGET
                    case (byte)'c': // GLOBAL
                    {
                        string module = Line();
                        string name = Line();
                        Push(CheckGlobal(module, name));
                        break;
                    }
                    case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop();
                        var module = Pop();
                        if (module is string m && name is string n) Push(CheckGlobal(m, n));
                        else Fail("STACK_GLOBAL needs two strings", "a module and a name", "other values");
                        break;
                    }
                    case (byte)'Q': Push(PersistentLoad(Pop())); break; // BINPERSID
                    case (byte)'R': { var args = Pop(); var function = Pop(); Push(Reduce(function, args)); break; } // REDUCE
                    case (byte)'b': // BUILD: only the attribute dict torch gives its OrderedDict (_metadata), which is dropped
                    {
                        var state = Pop();
                        if (Peek() is not Dict || state is not (Dict or null))
                            Fail("BUILD on something other than a dict", "BUILD only on an OrderedDict", Describe(Peek()));
                        break;
                    }
                    default:
                        Fail($"opcode {OpName(op)} is not allowed in a state dict; only plain values and tensors are read",
                            "one of the opcodes torch.save writes for a state dict", OpName(op));
                        break;
                }
            }
        }

        private Global CheckGlobal(string module, string name)
        {
            foreach (string part in (ReadOnlySpan<string>)[module, name])
            {
                int bad = part.AsSpan().IndexOfAnyExcept(PythonNameCharacters);
                if (bad >= 0 || part.Length is 0 or > 256)
                    Fail("a global name that is not a Python name", "1 to 256 letters, digits, '_' and '.'",
                        bad >= 0 ? $"character U+{(int)part[bad]:X4}" : $"{part.Length} characters");
            }
            string full = module + " " + name;
            if (!Allowed.ContainsKey(full))
                Fail($"global {MessageText.Quote(module + "." + name, 80)} is not allowed; only tensors and plain containers are read, and nothing in the file is run",
                    "collections.OrderedDict, torch._utils._rebuild_tensor_v2 or a torch storage type", MessageText.Clean(module + "." + name, 80));
            return new Global(module, name);
        }

        private object PersistentLoad(object? pid)
        {
            // ('storage', storage_type, key, location, numel)
            if (pid is not object?[] { Length: 5 } tuple || tuple[0] is not "storage" || tuple[1] is not Global { StorageDType: string dtype }
                || tuple[2] is not string key || tuple[4] is not long count || count < 0)
                return Fail<object>("a persistent id that is not a storage reference", "('storage', type, key, location, numel)", Describe(pid));
            if (key.Length == 0 || key.Length > 32 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                Fail("a storage key that is not a plain name", "letters, digits and '_'", MessageText.Quote(key, 40));
            return new Storage(dtype, key, count);
        }

        private object? Reduce(object? function, object? args)
        {
            if (function is not Global global) return Fail<object>("REDUCE on something that is not an allowed global", "a global", Describe(function));
            if (args is not object?[] arguments) return Fail<object>("REDUCE without an argument tuple", "a tuple", Describe(args));
            switch (global.Module + "." + global.Name)
            {
                case "collections.OrderedDict":
                    if (arguments.Length != 0) Fail("OrderedDict called with arguments", "OrderedDict()", $"{arguments.Length} arguments");
                    return new Dict();
                case "torch._utils._rebuild_tensor_v2":
                    if (arguments.Length is < 6 or > 7 || arguments[0] is not Storage storage || arguments[1] is not long offset
                        || arguments[2] is not object?[] size || arguments[3] is not object?[] stride || size.Length != stride.Length)
                        return Fail<object>("_rebuild_tensor_v2 with unexpected arguments", "(storage, offset, size, stride, requires_grad, hooks)", Describe(args));
                    return new TensorView(storage, offset, Longs(size, "size"), Longs(stride, "stride"));
                case "torch._utils._rebuild_parameter":
                    if (arguments.Length != 3 || arguments[0] is not TensorView view)
                        return Fail<object>("_rebuild_parameter with unexpected arguments", "(tensor, requires_grad, hooks)", Describe(args));
                    return view;
                default:
                    return Fail<object>($"{global.Module}.{global.Name} cannot be called", "OrderedDict or a tensor rebuilder", global.Module + "." + global.Name);
            }
        }

        private long[] Longs(object?[] values, string what)
        {
            if (values.Length > Safetensors.MaxRank) Fail($"a tensor {what} with too many dimensions", $"at most {Safetensors.MaxRank}", $"{values.Length}");
            var result = new long[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] is not long v || v < 0 || v > int.MaxValue) Fail($"a tensor {what} holds an invalid value", "integers 0 to 2^31-1", Describe(values[i]));
                result[i] = (long)values[i]!;
            }
            return result;
        }

        private object Key(object? key) =>
            key is string or long or bool or double or null ? key! : Fail<object>("a dict key that is not a plain value", "a string or number", Describe(key));

        private long Long1()
        {
            int length = Bytes(1)[0];
            if (length > 8) Fail("an integer too large for 64 bits", "at most 8 bytes", $"{length} bytes");
            var bytes = Bytes(length);
            if (length == 0) return 0;
            long value = (sbyte)bytes[length - 1] < 0 ? -1 : 0;
            for (int i = length - 1; i >= 0; i--) value = (value << 8) | bytes[i];
            return value;
        }

        private string Text(uint length)
        {
            if (length > data.Length - position) Fail("a string longer than the rest of the pickle", $"at most {data.Length - position} bytes", $"{length}");
            var bytes = Bytes((int)length);
            try
            {
                return new UTF8Encoding(false, true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                return Fail<string>("a string that is not valid UTF-8", "UTF-8 text", "invalid bytes");
            }
        }

        private string Line()
        {
            int end = data[position..].IndexOf((byte)'\n');
            if (end < 0 || end > 256) Fail("a global name that is not a short line", "a module or name of at most 256 characters", "no newline");
            string text = Encoding.Latin1.GetString(data.Slice(position, end));
            position += end + 1;
            return text;
        }

        private ReadOnlySpan<byte> Bytes(int count)
        {
            if (count > data.Length - position) Fail("the pickle ends inside an opcode's argument", $"{count} more bytes", $"{data.Length - position}");
            var span = data.Slice(position, count);
            position += count;
            return span;
        }

        private void Push(object? value)
        {
            if (stack.Count >= MaxStack) Fail("the pickle's stack grows past the limit", $"at most {MaxStack} values", "more");
            stack.Add(value);
        }

        private object? Pop()
        {
            if (stack.Count == 0 || (marks.Count > 0 && marks[^1] == stack.Count)) Fail("an opcode needs a value but the stack is empty", "a value", "nothing");
            var value = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return value;
        }

        private object? Peek()
        {
            if (stack.Count == 0 || (marks.Count > 0 && marks[^1] == stack.Count)) Fail("an opcode needs a value but the stack is empty", "a value", "nothing");
            return stack[^1];
        }

        private List<object?> PopMark()
        {
            if (marks.Count == 0) Fail("an opcode needs a mark but none is open", "MARK before it", "no mark");
            int start = marks[^1];
            marks.RemoveAt(marks.Count - 1);
            var items = stack.GetRange(start, stack.Count - start);
            stack.RemoveRange(start, stack.Count - start);
            return items;
        }

        private void Put(long index)
        {
            if (memo.Count >= MaxMemo && !memo.ContainsKey(index)) Fail("the pickle's memo grows past the limit", $"at most {MaxMemo} entries", "more");
            memo[index] = Peek();
        }

        private object? Get(long index) =>
            memo.TryGetValue(index, out var value) ? value : Fail<object>("a memo reference to nothing stored", "an index PUT earlier", index.ToString(CultureInfo.InvariantCulture));

        private List<object?> ListAt(object? target) =>
            target as List<object?> ?? Fail<List<object?>>("APPEND to something that is not a list", "a list", Describe(target));

        private Dict DictAt(object? target) =>
            target as Dict ?? Fail<Dict>("SETITEM on something that is not a dict", "a dict", Describe(target));

        [DoesNotReturn]
        private readonly void Fail(string problem, string expected, string found) =>
            throw new DataFormatException(path, "data.pkl: " + problem, opcodeStart, expected: expected, found: found);

        [DoesNotReturn]
        private readonly T Fail<T>(string problem, string expected, string found) =>
            throw new DataFormatException(path, "data.pkl: " + problem, opcodeStart, expected: expected, found: found);
    }

    private static readonly System.Buffers.SearchValues<char> PythonNameCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");

    /// <summary>A value as an error names it: its kind, not its contents.</summary>
    internal static string Describe(object? value) => value switch
    {
        null => "None",
        bool => "a bool",
        long => "an int",
        double => "a float",
        string => "a string",
        object?[] t => $"a tuple of {t.Length}",
        List<object?> => "a list",
        Dict => "a dict",
        Global g => $"the global {g.Module}.{g.Name}",
        Storage => "a storage",
        TensorView => "a tensor",
        _ => value.GetType().Name,
    };

    private static string OpName(byte op) =>
        op is >= 0x21 and < 0x7F ? $"'{(char)op}' (0x{op:X2})" : $"0x{op:X2}";
}
