package dev.cortado.cuda;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;

/**
 * The symbols a shared library exports, read from its ELF dynamic symbol table (.dynsym), as
 * {@code nm -D --defined-only} lists them: global or weak, defined in the library. ELF64
 * little-endian only (the x86-64 libraries this project builds).
 */
final class ElfSymbols {

    private static final int SHT_DYNSYM = 11, STB_GLOBAL = 1, STB_WEAK = 2;

    private ElfSymbols() {
    }

    static TreeSet<String> exported(Path library) throws IOException {
        ByteBuffer elf = ByteBuffer.wrap(Files.readAllBytes(library)).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.getInt(0) != 0x464c457f || elf.get(4) != 2 || elf.get(5) != 1) {
            throw new IOException(library + " is not a little-endian ELF64 file");
        }
        long sectionTable = elf.getLong(0x28);
        int entrySize = elf.getShort(0x3a) & 0xffff, sections = elf.getShort(0x3c) & 0xffff;
        TreeSet<String> names = new TreeSet<>();
        for (int s = 0; s < sections; s++) {
            int header = (int) (sectionTable + (long) s * entrySize);
            if (elf.getInt(header + 4) != SHT_DYNSYM) continue;
            int symbols = (int) elf.getLong(header + 0x18), size = (int) elf.getLong(header + 0x20), symbolSize = (int) elf.getLong(header + 0x38);
            int strings = (int) elf.getLong((int) (sectionTable + (long) elf.getInt(header + 0x28) * entrySize) + 0x18);
            for (int at = symbols; at < symbols + size; at += symbolSize) {
                int binding = (elf.get(at + 4) & 0xff) >> 4, section = elf.getShort(at + 6) & 0xffff;
                if (section == 0 || (binding != STB_GLOBAL && binding != STB_WEAK)) continue;
                names.add(string(elf, strings + elf.getInt(at)));
            }
        }
        return names;
    }

    private static String string(ByteBuffer elf, int at) {
        int end = at;
        while (elf.get(end) != 0) end++;
        byte[] b = new byte[end - at];
        elf.get(at, b);
        return new String(b, StandardCharsets.US_ASCII);
    }
}
