namespace MyTorch.IO;

#pragma warning disable CA1720 // The names are the IDX format's element types; they are meant to name the types.
#pragma warning disable CA1028 // The values are the format's type bytes.

/// <summary>The element type of an IDX file, with the type byte the format stores (third byte of the magic number).</summary>
public enum IdxType : byte
{
    /// <summary>Unsigned 8-bit integer (0x08), as in the MNIST images and labels.</summary>
    UByte = 0x08,

    /// <summary>Signed 8-bit integer (0x09).</summary>
    SByte = 0x09,

    /// <summary>Big-endian signed 16-bit integer (0x0B).</summary>
    Int16 = 0x0B,

    /// <summary>Big-endian signed 32-bit integer (0x0C).</summary>
    Int32 = 0x0C,

    /// <summary>Big-endian IEEE 32-bit float (0x0D).</summary>
    Float32 = 0x0D,

    /// <summary>Big-endian IEEE 64-bit float (0x0E).</summary>
    Float64 = 0x0E,
}
