package pdf

import (
	"slices"
	"unicode"

	"golang.org/x/text/unicode/bidi"
)

// fpdf draws characters left to right in the order it is given them, with
// no bidirectional layout and no shaping. Lines are therefore put in visual
// order here, with a compact form of the Unicode Bidirectional Algorithm
// (UAX #9): paragraph direction from the first strong character (P2-P3),
// weak types W1-W3 and W7, neutrals N1-N2, implicit levels I1-I2, and
// reordering with mirroring (L1-L2, L4). Explicit embeddings and isolates
// are not supported: such controls are removed before layout.

// isRTL reports whether the paragraph's first strong character is right
// to left; a paragraph without one is left to right.
func isRTL(s string) bool {
	for _, r := range s {
		switch class(r) {
		case bidi.L:
			return false
		case bidi.R, bidi.AL:
			return true
		}
	}
	return false
}

func class(r rune) bidi.Class {
	p, _ := bidi.LookupRune(r)
	return p.Class()
}

// visual returns one line of a paragraph in the order its characters are
// drawn from left to right.
func visual(line string, rtl bool) string {
	runes := []rune(line)
	if len(runes) == 0 {
		return line
	}
	base, baseClass := 0, bidi.L
	if rtl {
		base, baseClass = 1, bidi.R
	}
	types := weakTypes(runes, baseClass)
	resolveNeutrals(types, base)
	levels := levelsOf(types, runes, base)
	reorder(runes, levels)
	for i, r := range runes {
		if levels[i]%2 == 1 {
			if m, ok := mirrors[r]; ok {
				runes[i] = m // L4
			}
		}
	}
	return string(runes)
}

// weakTypes returns the class of each rune with the weak types resolved
// (W1-W3, W7) in a paragraph whose direction is baseClass.
func weakTypes(runes []rune, baseClass bidi.Class) []bidi.Class {
	types := make([]bidi.Class, len(runes))
	prev, strong := baseClass, baseClass
	for i, r := range runes {
		c := class(r)
		if c == bidi.NSM {
			c = prev // W1
		}
		switch c {
		case bidi.L, bidi.R:
			strong = c
		case bidi.AL:
			strong, c = bidi.AL, bidi.R // W3
		case bidi.EN:
			if strong == bidi.AL {
				c = bidi.AN // W2
			} else if strong == bidi.L {
				c = bidi.L // W7
			}
		}
		types[i], prev = c, c
	}
	return types
}

// direction is 0 for left to right, 1 for right to left (numbers count as
// right to left) and -1 for a neutral.
func direction(c bidi.Class) int {
	switch c {
	case bidi.L:
		return 0
	case bidi.R, bidi.EN, bidi.AN:
		return 1
	}
	return -1
}

// resolveNeutrals (N1-N2): a run of neutrals between two characters of the
// same direction takes it; otherwise the paragraph's, base.
func resolveNeutrals(types []bidi.Class, base int) {
	n := len(types)
	for i := 0; i < n; {
		if direction(types[i]) >= 0 {
			i++
			continue
		}
		j := i
		for j < n && direction(types[j]) < 0 {
			j++
		}
		before, after := base, base
		if i > 0 {
			before = direction(types[i-1])
		}
		if j < n {
			after = direction(types[j])
		}
		resolved := bidi.L
		if before == after && before == 1 || before != after && base == 1 {
			resolved = bidi.R
		}
		for k := i; k < j; k++ {
			types[k] = resolved
		}
		i = j
	}
}

// levelsOf returns the embedding level of each rune (I1-I2), with trailing
// white space at the paragraph's level (L1).
func levelsOf(types []bidi.Class, runes []rune, base int) []int {
	levels := make([]int, len(types))
	for i, c := range types {
		switch {
		case c == bidi.R:
			levels[i] = 1
		case c == bidi.L && base == 0:
			levels[i] = 0
		default: // numbers, and left to right in a right-to-left paragraph
			levels[i] = 2
		}
	}
	for i := len(runes) - 1; i >= 0 && unicode.IsSpace(runes[i]); i-- {
		levels[i] = base // L1
	}
	return levels
}

// reorder reverses, from the highest level down to the lowest odd one,
// every run of runes at that level or higher (L2); levels move with them.
func reorder(runes []rune, levels []int) {
	n := len(runes)
	top, lowestOdd := 0, 99
	for _, l := range levels {
		top = max(top, l)
		if l%2 == 1 {
			lowestOdd = min(lowestOdd, l)
		}
	}
	for l := top; l >= lowestOdd; l-- {
		for i := 0; i < n; {
			if levels[i] < l {
				i++
				continue
			}
			j := i
			for j < n && levels[j] >= l {
				j++
			}
			slices.Reverse(runes[i:j])
			slices.Reverse(levels[i:j])
			i = j
		}
	}
}

// mirrors are the paired characters drawn mirrored in right-to-left text.
var mirrors = map[rune]rune{
	'(': ')', ')': '(', '[': ']', ']': '[', '{': '}', '}': '{', '<': '>', '>': '<',
	'«': '»', '»': '«', '‹': '›', '›': '‹',
}
