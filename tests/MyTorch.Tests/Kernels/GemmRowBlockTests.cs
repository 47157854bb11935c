using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Kernels;

/// <summary>The GEMM's row-block API for callers that split a batch over threads themselves (compiled inference).</summary>
public class GemmRowBlockTests
{
    [Fact]
    public void TheRowTileIsWholeMicroTilesOnEveryPath()
    {
        foreach (int width in new[] { 0, 128, 256, 512 })
        {
            Assert.Equal(0, Gemm.RowTile % Gemm.Blocking.ForWidth<float>(width).MR);
            Assert.Equal(0, Gemm.RowTile % Gemm.Blocking.ForWidth<double>(width).MR);
        }
    }

    [Theory]
    [InlineData(1, 1L << 30, 8, 0)]            // under two tiles: never split
    [InlineData(47, 1L << 30, 8, 1)]           // 47 rows hold one block of two tiles
    [InlineData(48, 1L << 30, 8, 2)]
    [InlineData(4096, 1L << 30, 3, 3)]         // at most the threads
    [InlineData(4096, 1024, 8, 4)]             // at least MinWorkPerThread each: 4096 * 1024 / 2^20
    [InlineData(4096, 100, 8, 0)]              // too little work to split
    public void RowBlockCountIsTheSmallestOfThreadsTilesAndWork(int rows, long workPerRow, int threads, int expected)
    {
        Assert.Equal(expected, Gemm.RowBlockCount(rows, workPerRow, threads));
    }

    [Theory]
    [InlineData(24, 2)]
    [InlineData(25, 2)]
    [InlineData(128, 3)]
    [InlineData(1000, 7)]
    [InlineData(30, 4)]
    public void RowBlocksCoverTheRowsInOrderOnWholeTiles(int rows, int blocks)
    {
        int next = 0;
        for (int index = 0; index < blocks; index++)
        {
            var (start, end) = Gemm.RowBlock(rows, blocks, index);
            Assert.True(start <= end, $"block {index}: [{start}, {end})");
            if (start == end) continue;
            Assert.Equal(next, start);
            Assert.Equal(0, start % Gemm.RowTile);
            Assert.True(end == rows || end % Gemm.RowTile == 0, $"block {index} ends at {end} inside a tile");
            next = end;
        }

        Assert.Equal(rows, next);
    }
}
